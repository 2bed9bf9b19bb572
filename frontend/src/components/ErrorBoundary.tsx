import { Component, type ErrorInfo, type ReactNode } from 'react';

interface Props {
  children: ReactNode;
  /** What to show instead; receives the error and a way to try again. */
  fallback?: (error: Error, retry: () => void) => ReactNode;
  /** Changing this (e.g. the route) clears a caught error. */
  resetKey?: unknown;
}

interface State {
  error: Error | null;
  resetKey: unknown;
}

/** Keeps one failing part (a page, the real-time panel) from blanking the whole app. */
export class ErrorBoundary extends Component<Props, State> {
  override state: State = { error: null, resetKey: undefined };

  static getDerivedStateFromError(error: Error): Partial<State> {
    return { error };
  }

  static getDerivedStateFromProps(props: Props, state: State): Partial<State> | null {
    if (props.resetKey !== state.resetKey) return { resetKey: props.resetKey, error: null };
    return null;
  }

  override componentDidCatch(error: Error, info: ErrorInfo): void {
    console.error('UI error', error, info.componentStack);
  }

  private readonly retry = () => this.setState({ error: null });

  override render(): ReactNode {
    const { error } = this.state;
    if (!error) return this.props.children;
    if (this.props.fallback) return this.props.fallback(error, this.retry);
    return <PageError error={error} retry={this.retry} />;
  }
}

/** A stale page after a new deploy fails to load its code: a reload fixes it. */
export function isChunkLoadError(error: Error): boolean {
  return /dynamically imported module|Importing a module script failed|Failed to fetch dynamically|error loading dynamically/i.test(
    error.message,
  );
}

function PageError({ error, retry }: { error: Error; retry: () => void }) {
  const stale = isChunkLoadError(error);
  return (
    <section className="page narrow" role="alert">
      <h1>{stale ? 'A new version is available' : 'Something went wrong'}</h1>
      <p>{stale ? 'Reload the page to continue.' : 'This part of the page stopped working.'}</p>
      <div className="actions">
        <button type="button" className="primary" onClick={() => window.location.reload()}>
          Reload
        </button>
        {!stale && (
          <button type="button" onClick={retry}>
            Try again
          </button>
        )}
      </div>
    </section>
  );
}
