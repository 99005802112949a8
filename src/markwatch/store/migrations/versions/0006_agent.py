"""gazette_marks.agent: the trademark agency (代理机构) named in the gazette

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 14:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('gazette_marks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('agent', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('gazette_marks', schema=None) as batch_op:
        batch_op.drop_column('agent')
