-- A batch decided on what its partition's previous batch left in the projector's memory (not
-- read again from these tables) moves the checkpoint only from the offset that state belongs
-- to: if anything else moved it since (another projector, a failed record stored, a rebuild
-- swapped in), the statement fails and with it the batch's transaction, which the projector
-- then applies again the usual way. It runs first in that transaction, so it also takes the
-- checkpoint's lock before any write, as the usual way does.
CREATE FUNCTION advance_checkpoint_from(p integer, expected bigint, to_offset bigint)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    UPDATE checkpoints SET "offset" = to_offset WHERE partition = p AND "offset" = expected;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'the checkpoint of partition % is not at offset %', p, expected
            USING ERRCODE = '40001';
    END IF;
END $$;
