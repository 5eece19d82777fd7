/** One row per write that took effect: a seq for appends and bumps, null for a stored document. */
export interface BatchResultRow {
  ord: number;
  seq: number | null;
}

const DOC_COLUMNS = "ord, collection, id, rev, owner, body, created, updated, deleted";
const docArrays = (first: number) =>
  ["int4", "text", "text", "int8", "text", "text", "int8", "int8", "bool"].map((type, i) => `$${first + i}::${type}[]`).join(", ");

/**
 * A whole group commit as one statement (so one round trip and one transaction).
 * $1..$8 are the seq writes in enqueue order, $9..$17 document inserts,
 * $18..$27 document compare-and-swap writes (the last array: expected revs).
 *
 * Seqs come from the `streams` counter rows, bumped once per stream by the
 * number of writes it has in the batch. The bump takes the row lock and holds
 * it until commit, so a concurrent batch on another node waits and then
 * continues from the committed value: gapless and increasing, and a rolled-back
 * batch takes its increments with it. Rows are locked in byte order of the
 * stream so two nodes' batches never wait on each other in a circle. Within the
 * batch, writes to one stream are numbered in enqueue order (`ord`).
 */
export const COMMIT_BATCH_SQL = `
WITH
h AS (
  SELECT * FROM unnest($1::int4[], $2::text[], $3::bool[], $4::text[], $5::int8[], $6::text[], $7::text[], $8::text[])
    AS h(ord, stream, is_event, type, time, sender_id, sender_name, data)
),
counts AS (
  SELECT stream, count(*) AS n FROM h GROUP BY stream
),
bumped AS (
  INSERT INTO streams AS s (stream, seq)
  SELECT stream, n FROM counts ORDER BY stream COLLATE "C"
  ON CONFLICT (stream) DO UPDATE SET seq = s.seq + excluded.seq
  RETURNING s.stream, s.seq
),
numbered AS (
  SELECT h.ord, h.stream, h.is_event, h.type, h.time, h.sender_id, h.sender_name, h.data,
         b.seq - c.n + row_number() OVER (PARTITION BY h.stream ORDER BY h.ord) AS seq
  FROM h JOIN counts c ON c.stream = h.stream JOIN bumped b ON b.stream = h.stream
),
stored AS (
  INSERT INTO events (stream, seq, type, time, sender_id, sender_name, data)
  SELECT stream, seq, type, time, sender_id, sender_name, data FROM numbered WHERE is_event
),
ins AS (
  SELECT * FROM unnest(${docArrays(9)}) AS d(${DOC_COLUMNS})
),
inserted AS (
  INSERT INTO documents AS t (collection, id, rev, owner, body, created, updated, deleted)
  SELECT collection, id, rev, owner, body, created, updated, deleted FROM ins ORDER BY collection COLLATE "C", id COLLATE "C"
  ON CONFLICT (collection, id) DO NOTHING
  RETURNING t.collection, t.id
),
upd AS (
  SELECT * FROM unnest(${docArrays(18)}, $27::int8[]) AS d(${DOC_COLUMNS}, expect)
),
written AS (
  UPDATE documents AS t SET rev = u.rev, owner = u.owner, body = u.body, updated = u.updated, deleted = u.deleted
  FROM upd u
  WHERE t.collection = u.collection AND t.id = u.id AND t.rev = u.expect
  RETURNING u.ord
)
SELECT ord, seq FROM numbered
UNION ALL SELECT ins.ord, NULL::bigint FROM ins JOIN inserted ON inserted.collection = ins.collection AND inserted.id = ins.id
UNION ALL SELECT ord, NULL::bigint FROM written
`;
