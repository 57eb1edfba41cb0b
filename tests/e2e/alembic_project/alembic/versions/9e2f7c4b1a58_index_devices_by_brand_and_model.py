"""Index devices by brand and model

Revision ID: 9e2f7c4b1a58
Revises: 4a6c9e1d0b35
Create Date: 2026-11-07 16:05:00.000000

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '9e2f7c4b1a58'
down_revision = '4a6c9e1d0b35'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(op.f('ix_devices_brand'), 'devices', ['brand'], unique=False)
    op.create_index(op.f('ix_devices_model'), 'devices', ['model'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_devices_model'), table_name='devices')
    op.drop_index(op.f('ix_devices_brand'), table_name='devices')
