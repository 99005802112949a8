"""images: mark images and brand logos (reference, content hash, stored file, features key), Vienna
codes, and the picture features read once per image

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 13:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('gazette_marks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('image_ref', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('image_sha256', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('image_file', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('image_key', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('vienna_codes', sa.JSON(), nullable=True))
    with op.batch_alter_table('brands', schema=None) as batch_op:
        batch_op.add_column(sa.Column('logo_ref', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('logo_sha256', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('logo_file', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('logo_key', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('vienna_codes', sa.JSON(), nullable=True))
    op.create_table('image_features',
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('views', sa.Integer(), nullable=False),
    sa.Column('version', sa.String(length=20), nullable=False),
    sa.Column('model', sa.String(length=60), nullable=False),
    sa.Column('dim', sa.Integer(), nullable=False),
    sa.Column('vectors', sa.LargeBinary(), nullable=True),
    sa.Column('hashes', sa.JSON(), nullable=False),
    sa.Column('words', sa.JSON(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', 'views', name='pk_image_features')
    )


def downgrade() -> None:
    op.drop_table('image_features')
    with op.batch_alter_table('brands', schema=None) as batch_op:
        for name in ('vienna_codes', 'logo_key', 'logo_file', 'logo_sha256', 'logo_ref'):
            batch_op.drop_column(name)
    with op.batch_alter_table('gazette_marks', schema=None) as batch_op:
        for name in ('vienna_codes', 'image_key', 'image_file', 'image_sha256', 'image_ref'):
            batch_op.drop_column(name)
