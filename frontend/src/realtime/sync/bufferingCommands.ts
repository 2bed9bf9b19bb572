import type { HoldEffect, ResumeEffect, VoidEffect } from './buffering';
import { clampToDuration, positionAt } from './state';
import type { CommandAction, SyncCommand, SyncState } from './types';

/**
 * The hold every peer derives from the buffering reports, as a command: the room pauses at the
 * hold's moment, where the newest known timeline `latest` is then (never past the encoded edge it
 * waits at, if it waits for the encoder).
 */
export function holdCommand(effect: HoldEffect, latest: SyncState, duration: number, content: string | null): SyncCommand {
  const position = positionAt(latest, effect.at);
  const state: SyncState = {
    playing: false,
    position: clampToDuration(effect.edge === undefined ? position : Math.min(position, effect.edge), duration),
    at: effect.at,
    rate: latest.rate,
    id: effect.id,
    content,
  };
  const cmd: SyncCommand = { id: effect.id, action: 'hold', state, issued: effect.at, peer: effect.peer, user: '', name: '' };
  if (effect.edge !== undefined) cmd.edge = true;
  return cmd;
}

/**
 * The resume every peer derives once nobody is waited for, as a command; null when somebody changed
 * the timeline since the hold (a seek during it keeps the intent to play). `lastAction`: the action
 * of the timeline in force.
 */
export function resumeCommand(
  effect: ResumeEffect,
  latest: SyncState,
  lastAction: CommandAction,
  content: string | null,
): SyncCommand | null {
  const holdStillInForce = latest.id === effect.holdId || (lastAction === 'seek' && !latest.playing && latest.at >= 0);
  if (!holdStillInForce) return null;
  const state: SyncState = {
    playing: true,
    position: latest.position,
    at: Math.max(effect.at, latest.at),
    rate: latest.rate,
    id: effect.id,
    content,
  };
  return { id: effect.id, action: 'resume', state, issued: effect.at, peer: '', user: '', name: '' };
}

/**
 * Back onto the timeline a void hold interrupted (the one the peers that never held stayed on), restated
 * from `now` so that it comes after the hold: the room service's record (the hold was reported as a
 * pause) takes it as the newer one.
 */
export function voidedHoldCommand(effect: VoidEffect, before: SyncState, now: number): SyncCommand {
  const state: SyncState = { ...before, position: positionAt(before, now), at: now, id: `void:${effect.holdId}` };
  return { id: state.id, action: 'resume', state, issued: now, peer: '', user: '', name: '' };
}
