import { useId, useSyncExternalStore, type ReactElement } from 'react';
import { AUTO, qualityChoices, type QualitySource } from '../../lib/quality';

/** Automatic or one level, whatever the source behind it (whole files or an adaptive stream). */
export function QualityMenu({ source }: { source: QualitySource }): ReactElement | null {
  const id = useId();
  const state = useSyncExternalStore(source.subscribe, source.getState);
  if (state.levels.length === 0) return null;
  return (
    <>
      <label htmlFor={id} className="visually-hidden">
        Quality
      </label>
      <select id={id} className="quality" value={state.selected ?? AUTO} onChange={(e) => source.select(e.target.value === AUTO ? null : e.target.value)}>
        {qualityChoices(state).map((choice) => (
          <option key={choice.value} value={choice.value}>
            {choice.label}
          </option>
        ))}
      </select>
    </>
  );
}
