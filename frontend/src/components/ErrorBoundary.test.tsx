import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ErrorBoundary, isChunkLoadError } from './ErrorBoundary';

afterEach(cleanup);

function Boom({ fail }: { fail: boolean }) {
  if (fail) throw new Error('kaboom');
  return <p>fine</p>;
}

describe('ErrorBoundary', () => {
  it('shows a fallback and recovers on retry', () => {
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    let fail = true;
    const { rerender } = render(
      <ErrorBoundary fallback={(error, retry) => <button onClick={retry}>{error.message}</button>}>
        <Boom fail={fail} />
      </ErrorBoundary>,
    );
    expect(screen.getByRole('button').textContent).toBe('kaboom');
    fail = false;
    rerender(
      <ErrorBoundary fallback={(error, retry) => <button onClick={retry}>{error.message}</button>}>
        <Boom fail={fail} />
      </ErrorBoundary>,
    );
    fireEvent.click(screen.getByRole('button'));
    expect(screen.getByText('fine')).toBeTruthy();
  });

  it('recognises a stale build', () => {
    expect(isChunkLoadError(new Error('Failed to fetch dynamically imported module: /assets/x.js'))).toBe(true);
    expect(isChunkLoadError(new Error('kaboom'))).toBe(false);
  });
});
