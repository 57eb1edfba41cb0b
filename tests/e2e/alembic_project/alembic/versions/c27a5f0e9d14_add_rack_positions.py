"""Add rack positions

Revision ID: c27a5f0e9d14
Revises: 3f9d2c1a7b10
Create Date: 2026-11-04 11:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = 'c27a5f0e9d14'
down_revision = '3f9d2c1a7b10'
branch_labels = None
depends_on = '8b41e2d9c603'


def upgrade():
    op.create_table(
        'rack_positions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('device_id', sa.Integer(), nullable=False),
        sa.Column('rack_id', sa.Integer(), nullable=False),
        sa.Column('start_u', sa.Integer(), nullable=False),
        sa.Column('locked', sa.Boolean(), server_default='0', nullable=True),
        sa.ForeignKeyConstraint(['device_id'], ['devices.id']),
        sa.ForeignKeyConstraint(['rack_id'], ['racks.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_rack_positions_id'), 'rack_positions', ['id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_rack_positions_id'), table_name='rack_positions')
    op.drop_table('rack_positions')
