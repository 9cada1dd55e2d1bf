// Settings: with a read-write key, one form per part of the agent (each saved on its own, as a
// merge patch) plus the SOUL editor and deletion; with a read key, the values only.
import type { Agent } from '@agenfleet/sdk';
import { useAuth } from '../../../api/auth';
import { Loading } from '../../../components/bits';
import { ErrorNotice } from '../../../components/ErrorNotice';
import { useSoul } from '../queries';
import { BudgetForm } from './BudgetForm';
import { DeleteAgent } from './DeleteAgent';
import { GatewayForm } from './GatewayForm';
import { ModelForm } from './ModelForm';
import { ProfileForm } from './ProfileForm';
import { ReadOnlySettings } from './ReadOnlySettings';
import { SoulEditor } from './SoulEditor';
import { ToolsForm } from './ToolsForm';

export function SettingsTab({ agent }: { agent: Agent }) {
  const { canWrite } = useAuth();
  const soul = useSoul(agent.id);
  if (!canWrite) {
    return (
      <>
        <ErrorNotice error={soul.error} />
        <ReadOnlySettings agent={agent} soul={soul.data} />
      </>
    );
  }
  return (
    <div className="settings">
      <ProfileForm agent={agent} />
      <ModelForm agent={agent} />
      <ToolsForm agent={agent} />
      <BudgetForm agent={agent} />
      <GatewayForm agent={agent} />
      <ErrorNotice error={soul.error} />
      {soul.data !== undefined ? <SoulEditor agent={agent} initial={soul.data} /> : soul.isPending && <Loading what="Loading the SOUL file" />}
      <DeleteAgent agent={agent} />
    </div>
  );
}
