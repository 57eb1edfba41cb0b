"""Initial: device specifications and racks

Revision ID: 3f9d2c1a7b10
Revises:
Create Date: 2026-11-02 09:15:00.000000

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '3f9d2c1a7b10'
down_revision = None
branch_labels = None
depends_on = None

WIDTHS = ('11"', '18"', '19"', '23"')


def upgrade():
    op.create_table(
        'device_specifications',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('brand', sa.String(), nullable=False),
        sa.Column('model', sa.String(), nullable=False),
        sa.Column('variant', sa.String(), nullable=True),
        sa.Column('height_u', sa.Float(), nullable=False),
        sa.Column('width_type', sa.Enum(*WIDTHS, name='widthtype', create_constraint=True), nullable=True),
        sa.Column('depth_mm', sa.Float(), nullable=True),
        sa.Column('weight_kg', sa.Float(), nullable=True),
        sa.Column('power_watts', sa.Float(), nullable=True),
        sa.Column('heat_output_btu', sa.Float(), nullable=True),
        sa.Column('typical_ports', sa.JSON(), nullable=True),
        sa.Column('mounting_type', sa.String(), nullable=True),
        sa.Column('source', sa.Enum('web_fetched', 'manufacturer_spec', 'community', 'user_custom', name='sourcetype', create_constraint=True), server_default='user_custom', nullable=True),
        sa.Column('source_url', sa.String(), nullable=True),
        sa.Column('confidence', sa.Enum('high', 'medium', 'low', name='confidencelevel', create_constraint=True), server_default='medium', nullable=True),
        sa.Column('fetched_at', sa.DateTime(), nullable=True),
        sa.Column('last_updated', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_device_specifications_brand'), 'device_specifications', ['brand'], unique=False)
    op.create_index(op.f('ix_device_specifications_id'), 'device_specifications', ['id'], unique=False)
    op.create_index(op.f('ix_device_specifications_model'), 'device_specifications', ['model'], unique=False)
    op.create_table(
        'racks',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(), nullable=False),
        sa.Column('location', sa.String(), nullable=True),
        sa.Column('total_height_u', sa.Integer(), server_default='42', nullable=True),
        sa.Column('width_inches', sa.Enum(*WIDTHS, name='widthtype', create_constraint=True).with_variant(
            postgresql.ENUM(*WIDTHS, name='widthtype', create_type=False), 'postgresql'),
            server_default='19"', nullable=True),
        sa.Column('depth_mm', sa.Float(), server_default='700', nullable=True),
        sa.Column('max_weight_kg', sa.Float(), server_default='500', nullable=True),
        sa.Column('max_power_watts', sa.Float(), server_default='5000', nullable=True),
        sa.Column('cooling_type', sa.String(), server_default='front-to-back', nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_racks_id'), 'racks', ['id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_racks_id'), table_name='racks')
    op.drop_table('racks')
    op.drop_index(op.f('ix_device_specifications_model'), table_name='device_specifications')
    op.drop_index(op.f('ix_device_specifications_id'), table_name='device_specifications')
    op.drop_index(op.f('ix_device_specifications_brand'), table_name='device_specifications')
    op.drop_table('device_specifications')
    if op.get_context().dialect.name == 'postgresql':
        for name in ('confidencelevel', 'sourcetype', 'widthtype'):
            op.execute('DROP TYPE ' + name)
