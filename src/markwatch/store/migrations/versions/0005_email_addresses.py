"""email_addresses: digests go only to addresses that confirmed a link (or came from the operator's files)

Addresses of subscriptions stored before this revision are kept as confirmed: they were in use already.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 14:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('email_addresses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('address', sa.String(length=300), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=True),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('organisation_id', 'address', name='uq_email_address'),
    sa.UniqueConstraint('token_hash')
    )
    op.execute(
        "INSERT INTO email_addresses (organisation_id, address, confirmed_at, created_at) "
        "SELECT DISTINCT organisation_id, lower(trim(email)), CURRENT_TIMESTAMP, CURRENT_TIMESTAMP "
        "FROM subscriptions WHERE email IS NOT NULL AND trim(email) <> ''"
    )


def downgrade() -> None:
    op.drop_table('email_addresses')
