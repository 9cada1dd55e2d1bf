// A destructive action behind a confirmation dialog (native <dialog>: focus trap and Escape for
// free). The action's error is shown in the dialog, never swallowed.
import { useId, useRef, useState, type ReactNode } from 'react';
import { ErrorNotice } from './ErrorNotice';

export interface ConfirmButtonProps {
  /** The button's text (and the confirm button's, unless `confirmLabel`). */
  label: string;
  /** The dialog's heading. */
  title: string;
  children?: ReactNode;
  confirmLabel?: string;
  onConfirm: () => Promise<unknown>;
  className?: string;
}

export function ConfirmButton({
  label,
  title,
  children,
  confirmLabel = label,
  onConfirm,
  className = 'button danger',
}: ConfirmButtonProps) {
  const dialog = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  async function confirm() {
    setBusy(true);
    setError(null);
    try {
      await onConfirm();
      dialog.current?.close();
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  }

  return (
    <>
      <button
        type="button"
        className={className}
        onClick={() => {
          setError(null);
          dialog.current?.showModal();
        }}
      >
        {label}
      </button>
      <dialog ref={dialog} aria-labelledby={titleId}>
        <h2 id={titleId} className="dialog-title">
          {title}
        </h2>
        {children}
        <ErrorNotice error={error} />
        <div className="actions dialog-actions">
          <button type="button" className="button secondary" onClick={() => dialog.current?.close()}>
            Cancel
          </button>
          <button type="button" className="button danger" disabled={busy} onClick={() => void confirm()}>
            {confirmLabel}
          </button>
        </div>
      </dialog>
    </>
  );
}
