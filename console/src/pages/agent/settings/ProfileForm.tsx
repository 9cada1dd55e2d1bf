// Name, role and description of the agent.
import type { Agent } from '@agenfleet/sdk';
import { useState, type FormEvent } from 'react';
import { FormFooter } from './FormFooter';
import { useAgentPatch } from './useAgentPatch';

export function ProfileForm({ agent }: { agent: Agent }) {
  const [name, setName] = useState(agent.name);
  const [role, setRole] = useState(agent.role ?? '');
  const [description, setDescription] = useState(agent.description ?? '');
  const patch = useAgentPatch(agent.id);
  const dirty = name !== agent.name || role !== (agent.role ?? '') || description !== (agent.description ?? '');

  function submit(event: FormEvent) {
    event.preventDefault();
    patch.mutate({ name: name.trim(), role: role.trim() || null, description: description.trim() || null });
  }

  return (
    <form className="card stack settings-section" onSubmit={submit} aria-labelledby="profile-heading">
      <h2 id="profile-heading">Profile</h2>
      <label>
        Name
        <input value={name} onChange={(e) => setName(e.target.value)} required maxLength={100} autoComplete="off" />
      </label>
      <label>
        Role
        <input value={role} onChange={(e) => setRole(e.target.value)} maxLength={100} autoComplete="off" />
      </label>
      <label>
        Description
        <textarea className="plain" rows={3} value={description} onChange={(e) => setDescription(e.target.value)} maxLength={500} />
      </label>
      <FormFooter label="Save profile" pending={patch.isPending} saved={patch.isSuccess && !dirty} error={patch.error} disabled={!dirty} />
    </form>
  );
}
