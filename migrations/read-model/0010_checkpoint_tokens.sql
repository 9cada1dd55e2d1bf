-- A partition's batches may now be sent before the previous one's COMMIT is answered, each
-- decided on the state the previous one leaves in the projector's memory. The offset alone no
-- longer tells which decisions a checkpoint stands for: if a batch sent that way fails, and is
-- applied again the usual way (deciding some records differently, e.g. a name the state took
-- as free), the checkpoint comes back to the same offset with other decisions behind it, and a
-- batch decided on the failed one's state must not pass. So each batch decided on a carried
-- state writes a token of its own beside the offset, and the next one advances the checkpoint
-- only from that offset and that token; every other advance (the usual way, a failed record
-- stored, an operator's skip, a rebuild) leaves no token (NULL).
ALTER TABLE checkpoints ADD COLUMN token bigint;

DROP FUNCTION advance_checkpoint_from(integer, bigint, bigint);

CREATE FUNCTION advance_checkpoint_from(
    p integer, expected bigint, expected_token bigint, to_offset bigint, new_token bigint)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    UPDATE checkpoints SET "offset" = to_offset, token = new_token
    WHERE partition = p AND "offset" = expected AND token IS NOT DISTINCT FROM expected_token;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'the checkpoint of partition % is not at offset % (token %)',
            p, expected, expected_token USING ERRCODE = '40001';
    END IF;
END $$;
