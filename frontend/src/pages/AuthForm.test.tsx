import { act, cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../api/client';
import { AuthForm } from './AuthForm';

afterEach(() => {
  cleanup();
  vi.useRealTimers();
});

function fill(container: HTMLElement) {
  const user = container.querySelector('input[name="username"]') as HTMLInputElement;
  const pass = container.querySelector('input[name="password"]') as HTMLInputElement;
  fireEvent.change(user, { target: { value: 'ann' } });
  fireEvent.change(pass, { target: { value: 'secret' } });
  return container.querySelector('button[type="submit"]') as HTMLButtonElement;
}

describe('AuthForm', () => {
  it('has the named inputs and a submit button', () => {
    const { container } = render(<AuthForm mode="login" onSubmit={async () => undefined} />);
    expect(container.querySelector('input[name="username"]')).not.toBeNull();
    expect(container.querySelector('input[name="password"][type="password"]')).not.toBeNull();
    expect(screen.getByRole('button', { name: 'Log in' })).toBeTruthy();
  });

  it('shows a wrong password', async () => {
    const onSubmit = vi.fn().mockRejectedValue(new ApiError(401, 'invalid_credentials', 'bad'));
    const { container } = render(<AuthForm mode="login" onSubmit={onSubmit} />);
    const submit = fill(container);
    await act(async () => {
      fireEvent.click(submit);
    });
    expect(onSubmit).toHaveBeenCalledWith('ann', 'secret');
    expect(screen.getByRole('alert').textContent).toBe('Wrong username or password.');
  });

  it('shows a taken name on signup', async () => {
    const onSubmit = vi.fn().mockRejectedValue(new ApiError(409, 'username_taken', 'taken'));
    const { container } = render(<AuthForm mode="signup" onSubmit={onSubmit} />);
    const submit = fill(container);
    await act(async () => {
      fireEvent.click(submit);
    });
    expect(screen.getByRole('alert').textContent).toMatch(/already taken/);
  });

  it('counts down the wait after too many tries', async () => {
    vi.useFakeTimers();
    const onSubmit = vi.fn().mockRejectedValue(new ApiError(429, 'rate_limited', 'slow', 3));
    const { container } = render(<AuthForm mode="login" onSubmit={onSubmit} />);
    const submit = fill(container);
    await act(async () => {
      fireEvent.click(submit);
    });
    expect(screen.getByRole('alert').textContent).toMatch(/wait 3 seconds/);
    expect(submit.disabled).toBe(true);
    await act(async () => {
      vi.advanceTimersByTime(3100);
    });
    expect(screen.getByRole('alert').textContent).toMatch(/try again now/);
    expect(submit.disabled).toBe(false);
  });
});
