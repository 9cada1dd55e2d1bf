import { useState } from 'react';

export function CopyButton({ text, label = 'Copy' }: { text: string; label?: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <button
      type="button"
      className="button secondary"
      onClick={() => {
        void navigator.clipboard?.writeText(text).then(() => {
          setCopied(true);
          setTimeout(() => setCopied(false), 2000);
        });
      }}
    >
      {copied ? 'Copied' : label}
    </button>
  );
}

/** A secret the API shows once (API key, webhook or gateway secret), with a copy button. */
export function SecretOnce({ label, secret }: { label: string; secret: string }) {
  return (
    <div className="notice notice-success" role="status">
      <strong>{label}</strong>
      <p>Copy it now: it is shown only once.</p>
      <div className="secret">
        <code data-testid="secret">{secret}</code>
        <CopyButton text={secret} />
      </div>
    </div>
  );
}
