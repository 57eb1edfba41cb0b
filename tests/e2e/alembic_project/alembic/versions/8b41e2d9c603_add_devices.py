"""Add devices

Revision ID: 8b41e2d9c603
Revises: 3f9d2c1a7b10
Create Date: 2026-11-03 10:20:00.000000

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '8b41e2d9c603'
down_revision = '3f9d2c1a7b10'
branch_labels = ('devices',)
depends_on = None


def upgrade():
    op.create_table(
        'devices',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('custom_name', sa.String(), nullable=False),
        sa.Column('specification_id', sa.Integer(), nullable=False),
        sa.Column('brand', sa.String(), nullable=True),
        sa.Column('model', sa.String(), nullable=True),
        sa.Column('access_frequency', sa.Enum('low', 'medium', 'high', name='accessfrequency', create_constraint=True), server_default='medium', nullable=True),
        sa.Column('notes', sa.String(), nullable=True),
        sa.ForeignKeyConstraint(['specification_id'], ['device_specifications.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_devices_id'), 'devices', ['id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_devices_id'), table_name='devices')
    op.drop_table('devices')
    if op.get_context().dialect.name == 'postgresql':
        op.execute('DROP TYPE accessfrequency')
