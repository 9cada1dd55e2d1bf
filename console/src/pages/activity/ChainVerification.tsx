// The hash chain's verification (`GET /v1/activity/verify`): verified through sequence N, or
// the first broken one. Checked when the page opens and on demand, not on every new entry: the
// server re-hashes the whole chain each time.
import { useQuery } from '@tanstack/react-query';
import { useAuth } from '../../api/auth';
import { ErrorNotice } from '../../components/ErrorNotice';
import { formatDateTimeSeconds, formatInteger } from '../../components/format';

export function ChainVerification() {
  const { client } = useAuth();
  const verification = useQuery({
    queryKey: ['activity-verify'],
    queryFn: async () => (await client.verifyActivity()).data,
    staleTime: 60_000,
  });
  const { data } = verification;

  return (
    <section className="verification card" aria-labelledby="verification-heading">
      <div>
        <h2 id="verification-heading" className="card-title">
          Hash chain
        </h2>
        {verification.isPending && !verification.error && <p className="muted">Verifying…</p>}
        <ErrorNotice error={verification.error} />
        {data && (
          <p data-testid="verification" data-valid={data.valid} className={data.valid ? 'verified' : 'broken'}>
            <span aria-hidden="true">{data.valid ? '✓ ' : '✗ '}</span>
            {data.valid
              ? data.entries === 0
                ? 'No entries yet.'
                : `Verified through sequence ${formatInteger(data.entries)}`
              : `Broken at sequence ${formatInteger(data.firstBrokenSequence ?? 0)}`}
          </p>
        )}
        {data && (
          <p className="small muted">
            {data.valid
              ? 'Every entry links to the one before and its hash matches its content.'
              : 'From this entry on, the log does not match its hashes: it was altered or an entry is missing.'}{' '}
            Checked {formatDateTimeSeconds(new Date(verification.dataUpdatedAt).toISOString())}.
          </p>
        )}
      </div>
      <button
        type="button"
        className="button secondary"
        disabled={verification.isFetching}
        onClick={() => void verification.refetch()}
      >
        {verification.isFetching ? 'Verifying…' : 'Verify again'}
      </button>
    </section>
  );
}
