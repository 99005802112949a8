"""gazette in, action out: page references and Madrid designations on gazette marks, skipped records,
issue completeness, operator holiday calendars, deadline rule and calendar on alerts, dismissals that stay,
protection-list origin of brands, the calendar feed token, suppressed alerts per run

Additive only: new tables and nullable (or defaulted) columns. Alerts dismissed before this revision get
their dismissal record, with the mark fingerprint of ``markwatch.service.dismissals.mark_fingerprint``.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 12:00:00
"""
import hashlib
import json
import re
import unicodedata

from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('gazette_issues',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('office', sa.String(length=8), nullable=False),
    sa.Column('issue_key', sa.String(length=40), nullable=False),
    sa.Column('publication_date', sa.Date(), nullable=True),
    sa.Column('page_count', sa.Integer(), nullable=True),
    sa.Column('pages', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('office', 'issue_key', name='uq_gazette_issue')
    )
    op.create_table('holiday_calendars',
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('holidays', sa.JSON(), nullable=False),
    sa.Column('workdays', sa.JSON(), nullable=False),
    sa.Column('names', sa.JSON(), nullable=True),
    sa.Column('source', sa.Text(), nullable=True),
    sa.Column('path', sa.String(length=2000), nullable=True),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('loaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('year')
    )
    op.create_table('alert_dismissals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('watchlist_id', sa.Integer(), nullable=False),
    sa.Column('brand_id', sa.String(length=100), nullable=False),
    sa.Column('office', sa.String(length=8), nullable=False),
    sa.Column('application_no', sa.String(length=40), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('alert_id', sa.Integer(), nullable=True),
    sa.Column('actor', sa.String(length=200), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['alert_id'], ['alerts.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['watchlist_id'], ['watchlists.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('watchlist_id', 'brand_id', 'office', 'application_no', 'fingerprint', name='uq_dismissal')
    )
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('deadline_rule', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('deadline_calendar', sa.String(length=20), nullable=True))

    with op.batch_alter_table('brands', schema=None) as batch_op:
        batch_op.add_column(sa.Column('registration_no', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('protection_list', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('protection_year', sa.Integer(), nullable=True))

    with op.batch_alter_table('gazette_marks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('page_no', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('page_count', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('refs', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('procedure', sa.String(length=20), server_default='national', nullable=False))
        batch_op.add_column(sa.Column('international_registration_no', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('designation_date', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('wipo_gazette', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('wipo_publication_date', sa.Date(), nullable=True))

    with op.batch_alter_table('ingested_files', schema=None) as batch_op:
        batch_op.add_column(sa.Column('skipped', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('skipped_reasons', sa.JSON(), nullable=True))

    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('calendar_token_hash', sa.String(length=128), nullable=True))
        batch_op.create_index('ix_org_calendar_token', ['calendar_token_hash'], unique=True)

    with op.batch_alter_table('quarantine', schema=None) as batch_op:
        batch_op.add_column(sa.Column('issue_key', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('page_no', sa.Integer(), nullable=True))

    with op.batch_alter_table('runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('alerts_suppressed', sa.Integer(), server_default='0', nullable=False))

    _dismissals_of_dismissed_alerts()


def _fingerprint(mark, mark_type, classes, goods, similar_groups) -> str:
    # the same as markwatch.service.dismissals.mark_fingerprint at this revision (tests/test_dismissals.py)
    def text(v):
        return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(v or "")))

    payload = {"mark": text(mark), "type": mark_type or "word",
               "classes": sorted({int(c) for c in classes or []}),
               "goods": sorted({text(g) for g in goods or [] if text(g)}),
               "groups": sorted({str(g) for g in similar_groups or []})}
    data = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


def _json(value):
    return json.loads(value) if isinstance(value, str) else value


def _dismissals_of_dismissed_alerts() -> None:
    conn = op.get_bind()
    rows = conn.execute(sa.text(
        "SELECT a.id, a.watchlist_id, a.status_by, a.status_comment, a.created_at, b.brand_id, m.office, "
        "m.application_no, m.mark, m.mark_type, m.classes, m.goods, m.similar_groups "
        "FROM alerts a JOIN brands b ON b.id = a.brand_pk JOIN gazette_marks m ON m.id = a.gazette_mark_id "
        "WHERE a.status = 'dismissed'")).all()
    seen = set()
    for r in rows:
        fp = _fingerprint(r.mark, r.mark_type, _json(r.classes), _json(r.goods), _json(r.similar_groups))
        key = (r.watchlist_id, r.brand_id, r.office, r.application_no, fp)
        if key in seen:
            continue
        seen.add(key)
        conn.execute(sa.text(
            "INSERT INTO alert_dismissals (watchlist_id, brand_id, office, application_no, fingerprint, alert_id, "
            "actor, comment, created_at) VALUES (:w, :b, :o, :n, :f, :a, :actor, :c, :t)"),
            {"w": r.watchlist_id, "b": r.brand_id, "o": r.office, "n": r.application_no, "f": fp, "a": r.id,
             "actor": r.status_by, "c": r.status_comment, "t": r.created_at})


def downgrade() -> None:
    with op.batch_alter_table('runs', schema=None) as batch_op:
        batch_op.drop_column('alerts_suppressed')
    with op.batch_alter_table('quarantine', schema=None) as batch_op:
        batch_op.drop_column('page_no')
        batch_op.drop_column('issue_key')
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.drop_index('ix_org_calendar_token')
        batch_op.drop_column('calendar_token_hash')
    with op.batch_alter_table('ingested_files', schema=None) as batch_op:
        batch_op.drop_column('skipped_reasons')
        batch_op.drop_column('skipped')
    with op.batch_alter_table('gazette_marks', schema=None) as batch_op:
        for name in ('wipo_publication_date', 'wipo_gazette', 'designation_date', 'international_registration_no',
                     'procedure', 'refs', 'page_count', 'page_no'):
            batch_op.drop_column(name)
    with op.batch_alter_table('brands', schema=None) as batch_op:
        batch_op.drop_column('protection_year')
        batch_op.drop_column('protection_list')
        batch_op.drop_column('registration_no')
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.drop_column('deadline_calendar')
        batch_op.drop_column('deadline_rule')
    op.drop_table('alert_dismissals')
    op.drop_table('holiday_calendars')
    op.drop_table('gazette_issues')
