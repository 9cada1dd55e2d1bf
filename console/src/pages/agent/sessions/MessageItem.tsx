// One message of a session: who wrote it, when, its text (as text: React escapes it), and for a
// reply what it cost and which tools it called.
import type { Message } from '@agenfleet/sdk';
import { memo } from 'react';
import { formatDateTime, formatDuration, formatInteger, formatUsd } from '../../../components/format';

function MessageItemView({ message }: { message: Message }) {
  const { usage, toolCalls } = message;
  return (
    <li className={`message message-${message.role}`} data-testid="message" data-message-id={message.id}>
      <div className="message-head">
        <strong>{message.role === 'assistant' ? 'Agent' : 'User'}</strong>
        <span className="muted small">
          #{message.sequence} · <time dateTime={message.createdAt}>{formatDateTime(message.createdAt)}</time>
        </span>
      </div>
      <div className="message-content">{message.content}</div>
      {usage && (
        <dl className="usage small">
          <div>
            <dt>Model</dt>
            <dd className="mono">{usage.model}</dd>
          </div>
          <div>
            <dt>Tokens in / out</dt>
            <dd>
              {formatInteger(usage.inputTokens)} / {formatInteger(usage.outputTokens)}
            </dd>
          </div>
          <div>
            <dt>Cost</dt>
            <dd>{formatUsd(usage.costUsd)}</dd>
          </div>
          <div>
            <dt>Latency</dt>
            <dd>{formatDuration(usage.latencyMs)}</dd>
          </div>
        </dl>
      )}
      {toolCalls.length > 0 && (
        <ul className="tool-calls small" aria-label="Tool calls">
          {toolCalls.map((call, i) => (
            <li key={i}>
              <code>{call.name}</code> <span className={`badge status-${call.status}`}>{call.status}</span>{' '}
              <span className="muted">{formatDuration(call.durationMs)}</span>
            </li>
          ))}
        </ul>
      )}
    </li>
  );
}

export const MessageItem = memo(MessageItemView);
