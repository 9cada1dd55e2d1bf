// The agent's gateway: where its user messages are delivered (signed like webhooks). Setting the
// URL answers the signing secret once, shown here to copy.
import type { Agent } from '@agenfleet/sdk';
import { useState, type FormEvent } from 'react';
import { ConfirmButton } from '../../../components/ConfirmButton';
import { SecretOnce } from '../../../components/CopyButton';
import { FormFooter } from './FormFooter';
import { useAgentPatch } from './useAgentPatch';

export function GatewayForm({ agent }: { agent: Agent }) {
  const current = agent.config.gateway?.url ?? '';
  const [url, setUrl] = useState(current);
  const patch = useAgentPatch(agent.id);
  const remove = useAgentPatch(agent.id, () => setUrl(''));
  const dirty = url.trim() !== current;
  const secret = patch.data?.gatewaySecret;

  function submit(event: FormEvent) {
    event.preventDefault();
    remove.reset();
    patch.mutate({ config: { gateway: { url: url.trim() } } });
  }

  return (
    <form className="card stack settings-section full-width" onSubmit={submit} aria-labelledby="gateway-heading">
      <h2 id="gateway-heading">Gateway</h2>
      <p className="muted small">
        Every user message is delivered to this URL as a signed <code>message.created</code> event, so the agent’s
        runtime can answer it. Setting it issues a new signing secret.
      </p>
      <label>
        Gateway URL
        <input type="url" value={url} onChange={(e) => setUrl(e.target.value)} placeholder="https://agent.example.com/hook" required autoComplete="off" />
      </label>
      {secret && !remove.isSuccess && <SecretOnce label="Gateway signing secret" secret={secret} />}
      <FormFooter label="Save gateway" pending={patch.isPending} saved={patch.isSuccess && !dirty} error={patch.error} disabled={!dirty} />
      {current && (
        <div>
          <ConfirmButton
            label="Remove gateway"
            title="Remove the gateway?"
            className="button secondary"
            onConfirm={() => remove.mutateAsync({ config: { gateway: null } })}
          >
            <p>User messages will no longer be delivered to {current}.</p>
          </ConfirmButton>
        </div>
      )}
    </form>
  );
}
