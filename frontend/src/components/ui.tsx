import type { ReactNode } from 'react';
import { describeError, type ErrorContext } from '../api/client';

export function ErrorBox({ error, context, children }: { error: unknown; context?: ErrorContext; children?: ReactNode }) {
  if (!error) return null;
  return (
    <div className="error" role="alert">
      {describeError(error, context)}
      {children}
    </div>
  );
}

export function Notice({ children }: { children: ReactNode }) {
  return (
    <div className="notice" role="status">
      {children}
    </div>
  );
}

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <p className="muted" role="status" aria-live="polite">
      {label}
    </p>
  );
}

export function ProgressBar({ value, label, className }: { value: number; label: string; className?: string }) {
  const clamped = Math.max(0, Math.min(100, value));
  return (
    <div
      className={`progress ${className ?? ''}`}
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={Math.round(clamped)}
    >
      <div className="progress-fill" style={{ width: `${clamped}%` }} />
    </div>
  );
}

export function StatusBadge({ status }: { status: string }) {
  return <span className={`badge badge-${status.replace(/[^a-z]/gi, '')}`}>{status}</span>;
}

export function Poster({ src, alt, className }: { src: string | null; alt: string; className?: string }) {
  if (!src) {
    return (
      // With no text (a card whose title says it all) the placeholder is decoration, like an <img alt="">.
      <div
        className={`poster poster-empty ${className ?? ''}`}
        {...(alt ? { role: 'img', 'aria-label': alt } : { 'aria-hidden': true })}
      >
        <svg viewBox="0 0 16 9" aria-hidden="true">
          <polygon points="6.5,2.5 11,4.5 6.5,6.5" fill="currentColor" />
        </svg>
      </div>
    );
  }
  return <img className={`poster ${className ?? ''}`} src={src} alt={alt} loading="lazy" decoding="async" />;
}

/** A room PIN field: digits only, never autofilled, so every form that asks for a PIN behaves the same. */
export function PinInput({ id, value, onChange, checkLength = false, required = false, autoFocus = false }: {
  id: string;
  value: string;
  onChange: (pin: string) => void;
  /** Ask the browser to check the 4–12 digit rule (when choosing a PIN, not when typing one in). */
  checkLength?: boolean;
  required?: boolean;
  autoFocus?: boolean;
}) {
  return (
    <input
      id={id}
      name="pin"
      inputMode="numeric"
      pattern={checkLength ? '\\d{4,12}' : undefined}
      autoComplete="off"
      autoFocus={autoFocus}
      required={required}
      value={value}
      onChange={(e) => onChange(e.target.value.replace(/\D/g, ''))}
    />
  );
}
