// The end of a settings form: its error (never swallowed), "Saved" once it is, the save button.
import { ErrorNotice } from '../../../components/ErrorNotice';

export function FormFooter({
  label,
  pending,
  saved,
  error,
  disabled = false,
}: {
  label: string;
  pending: boolean;
  saved: boolean;
  error: unknown;
  disabled?: boolean;
}) {
  return (
    <>
      <ErrorNotice error={error} />
      <div className="form-footer">
        <button type="submit" className="button" disabled={pending || disabled}>
          {pending ? 'Saving…' : label}
        </button>
        {saved && (
          <span role="status" className="saved">
            Saved
          </span>
        )}
      </div>
    </>
  );
}
