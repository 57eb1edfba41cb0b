"""Add connections

Revision ID: e5d0b8a3f217
Revises: 8b41e2d9c603
Create Date: 2026-11-05 14:30:00.000000

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = 'e5d0b8a3f217'
down_revision = '8b41e2d9c603'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'connections',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('from_device_id', sa.Integer(), nullable=False),
        sa.Column('to_device_id', sa.Integer(), nullable=False),
        sa.Column('from_port', sa.String(), nullable=True),
        sa.Column('to_port', sa.String(), nullable=True),
        sa.Column('cable_type', sa.Enum('Cat5e', 'Cat6', 'Cat6a', 'Cat7', 'Fiber-SM', 'Fiber-MM', 'Power', 'Console', name='cabletype', create_constraint=True), server_default='Cat6', nullable=True),
        sa.Column('cable_category_required', sa.String(), nullable=True),
        sa.Column('calculated_length_m', sa.Float(), nullable=True),
        sa.Column('routing_path', sa.Enum('direct', 'cable_tray', 'conduit', name='routingpath', create_constraint=True), server_default='direct', nullable=True),
        sa.ForeignKeyConstraint(['from_device_id'], ['devices.id']),
        sa.ForeignKeyConstraint(['to_device_id'], ['devices.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_connections_id'), 'connections', ['id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_connections_id'), table_name='connections')
    op.drop_table('connections')
    if op.get_context().dialect.name == 'postgresql':
        op.execute('DROP TYPE routingpath')
        op.execute('DROP TYPE cabletype')
