"""Merge positions and connections

Revision ID: 4a6c9e1d0b35
Revises: c27a5f0e9d14, e5d0b8a3f217
Create Date: 2026-11-06 08:45:00.000000

"""
# revision identifiers, used by Alembic.
revision = '4a6c9e1d0b35'
down_revision = ('c27a5f0e9d14', 'e5d0b8a3f217')
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
