// A model of the catalog (a controlled select: options arrive after the first render) (`GET /v1/models`), grouped by provider, with its price per 1M tokens.
import type { Model } from '@agenfleet/sdk';
import { useQuery } from '@tanstack/react-query';
import type { ChangeEvent } from 'react';
import { useAuth } from '../api/auth';
import { ErrorNotice } from './ErrorNotice';

/** The model catalog (data the operator may extend, but not while the console is open). */
export function useModels() {
  const { client } = useAuth();
  return useQuery({
    queryKey: ['models'],
    queryFn: async () => (await client.listModels()).data.data,
    staleTime: Infinity,
  });
}

function byProvider(models: Model[]): [string, Model[]][] {
  const groups = new Map<string, Model[]>();
  for (const model of models) groups.set(model.provider, [...(groups.get(model.provider) ?? []), model]);
  return [...groups];
}

const price = (n: number) => `$${n.toFixed(2)}`;

export function ModelSelect({
  label,
  name,
  value,
  onChange,
  exclude = [],
}: {
  label: string;
  name?: string;
  value: string;
  onChange: (event: ChangeEvent<HTMLSelectElement>) => void;
  /** Models not to offer (e.g. fallbacks already chosen). */
  exclude?: string[];
}) {
  const models = useModels();
  const offered = (models.data ?? []).filter((m) => !exclude.includes(m.id));
  // Until the catalog is there (or if it fails), still show the current choice.
  const known = offered.some((m) => m.id === value);
  return (
    <>
      <label>
        {label}
        <select name={name} value={value} onChange={onChange} required>
          {!known && <option value={value}>{value}</option>}
          {byProvider(offered).map(([provider, list]) => (
            <optgroup key={provider} label={provider}>
              {list.map((m) => (
                <option key={m.id} value={m.id}>
                  {m.id} — {price(m.inputPricePerMTokUsd)} in / {price(m.outputPricePerMTokUsd)} out per 1M
                </option>
              ))}
            </optgroup>
          ))}
        </select>
      </label>
      <ErrorNotice error={models.error} />
    </>
  );
}
