// The period's cost by model and by provider (`/v1/metrics/summary`).
import type { MetricsSummary } from '@agenfleet/sdk';
import { Empty } from '../../components/bits';
import { formatInteger, formatUsd } from '../../components/format';
import { formatPct, formatShare } from './share';

export function ModelCostTable({ summary }: { summary: MetricsSummary }) {
  if (summary.byModel.length === 0) return <Empty>No priced replies in this period.</Empty>;
  return (
    // Focusable so that keyboard users can scroll it on a narrow screen (it has no links).
    <div className="table-wrap" tabIndex={0} role="region" aria-labelledby="model-heading">
      <table data-testid="by-model">
        <thead>
          <tr>
            <th scope="col">Model</th>
            <th scope="col">Provider</th>
            <th scope="col" className="num">Input tokens</th>
            <th scope="col" className="num">Output tokens</th>
            <th scope="col" className="num">Cost</th>
            <th scope="col" className="num">Share</th>
          </tr>
        </thead>
        <tbody>
          {summary.byModel.map((row) => (
            <tr key={row.model}>
              <td className="mono small nowrap">{row.model}</td>
              <td>{row.provider}</td>
              <td className="num">{formatInteger(row.inputTokens)}</td>
              <td className="num">{formatInteger(row.outputTokens)}</td>
              <td className="num">{formatUsd(row.costUsd)}</td>
              <td className="num">
                <ShareBar percent={row.pctOfTotal} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function ProviderCostTable({ summary }: { summary: MetricsSummary }) {
  if (summary.byProvider.length === 0) return <Empty>No priced replies in this period.</Empty>;
  return (
    <div className="table-wrap" tabIndex={0} role="region" aria-labelledby="provider-heading">
      <table data-testid="by-provider">
        <thead>
          <tr>
            <th scope="col">Provider</th>
            <th scope="col" className="num">Input tokens</th>
            <th scope="col" className="num">Output tokens</th>
            <th scope="col" className="num">Cost</th>
            <th scope="col" className="num">Share</th>
          </tr>
        </thead>
        <tbody>
          {summary.byProvider.map((row) => (
            <tr key={row.provider}>
              <td>{row.provider}</td>
              <td className="num">{formatInteger(row.inputTokens)}</td>
              <td className="num">{formatInteger(row.outputTokens)}</td>
              <td className="num">{formatUsd(row.costUsd)}</td>
              <td className="num">{formatShare(row.costUsd, summary.costUsd)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** The share as text, with a small bar behind it (decoration only). */
function ShareBar({ percent }: { percent: number }) {
  return (
    <span className="share">
      <span className="share-track" aria-hidden="true">
        <span className="share-fill" style={{ width: `${Math.min(percent, 100)}%` }} />
      </span>
      {formatPct(percent)}
    </span>
  );
}
