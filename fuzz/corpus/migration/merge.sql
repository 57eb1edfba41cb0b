-- revision: bbbbbbbbbbbb
-- down_revision: aaaaaaaaaaaa, cccccccccccc
-- branch_labels: x
-- depends_on: aaaaaaaaaaaa
-- transactional: false
-- +upgrade postgresql
CREATE INDEX CONCURRENTLY i ON t (id);
-- +downgrade
DROP INDEX i;
