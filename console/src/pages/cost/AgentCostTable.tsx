// Each agent's usage and cost over the period, sortable by any column.
import type { AgentMetrics } from '@agenfleet/sdk';
import { useMemo, useState } from 'react';
import { Link } from 'wouter';
import { Empty } from '../../components/bits';
import { compareNames, formatInteger, formatUsd } from '../../components/format';
import { formatShare } from './share';

type Column = 'name' | 'model' | 'inputTokens' | 'outputTokens' | 'messages' | 'sessions' | 'costUsd';

const COLUMNS: { key: Column; label: string; numeric?: boolean }[] = [
  { key: 'name', label: 'Agent' },
  { key: 'model', label: 'Model' },
  { key: 'inputTokens', label: 'Input tokens', numeric: true },
  { key: 'outputTokens', label: 'Output tokens', numeric: true },
  { key: 'messages', label: 'Messages', numeric: true },
  { key: 'sessions', label: 'Sessions', numeric: true },
  { key: 'costUsd', label: 'Cost', numeric: true },
];

export function AgentCostTable({ rows, totalUsd }: { rows: AgentMetrics[]; totalUsd: number }) {
  const [sort, setSort] = useState<{ column: Column; descending: boolean }>({ column: 'costUsd', descending: true });
  const sorted = useMemo(() => {
    const { column, descending } = sort;
    const compare = (a: AgentMetrics, b: AgentMetrics) => {
      const x = a[column];
      const y = b[column];
      const order = typeof x === 'number' && typeof y === 'number' ? x - y : compareNames(String(x), String(y));
      return order || compareNames(a.name, b.name);
    };
    return [...rows].sort((a, b) => (descending ? compare(b, a) : compare(a, b)));
  }, [rows, sort]);

  if (rows.length === 0) return <Empty>No agents yet.</Empty>;
  return (
    <div className="table-wrap">
      <table data-testid="agent-costs">
        <caption className="visually-hidden">Cost by agent; select a column heading to sort</caption>
        <thead>
          <tr>
            {COLUMNS.map(({ key, label, numeric }) => {
              const active = sort.column === key;
              return (
                <th
                  key={key}
                  className={numeric ? 'num' : undefined}
                  aria-sort={active ? (sort.descending ? 'descending' : 'ascending') : undefined}
                >
                  <button
                    type="button"
                    className="sort"
                    onClick={() =>
                      setSort({ column: key, descending: active ? !sort.descending : numeric === true })
                    }
                  >
                    {label}
                    <span aria-hidden="true">{active ? (sort.descending ? ' ▼' : ' ▲') : ''}</span>
                  </button>
                </th>
              );
            })}
            <th className="num">Share</th>
          </tr>
        </thead>
        <tbody>
          {sorted.map((row) => (
            <tr key={row.agentId} data-agent-id={row.agentId}>
              <td>
                <Link to={`/agents/${row.agentId}`}>{row.name}</Link>
              </td>
              <td className="mono small nowrap">{row.model}</td>
              <td className="num">{formatInteger(row.inputTokens)}</td>
              <td className="num">{formatInteger(row.outputTokens)}</td>
              <td className="num">{formatInteger(row.messages)}</td>
              <td className="num">{formatInteger(row.sessions)}</td>
              <td className="num">{formatUsd(row.costUsd)}</td>
              <td className="num">{formatShare(row.costUsd, totalUsd)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
