import { explain } from '../api/errors';

/** An error said in words (never swallowed), with the request id to quote. */
export function ErrorNotice({ error }: { error: unknown }) {
  if (!error) return null;
  const { title, detail, requestId, fields } = explain(error);
  return (
    <div className="notice notice-error" role="alert">
      <strong>{title}</strong>
      {detail && <p>{detail}</p>}
      {fields && fields.length > 0 && (
        <ul>
          {fields.map((f) => (
            <li key={f.field}>
              <code>{f.field}</code>: {f.message}
            </li>
          ))}
        </ul>
      )}
      {requestId && <p className="muted small">Request id: {requestId}</p>}
    </div>
  );
}
