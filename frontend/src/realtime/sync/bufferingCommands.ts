import type { HoldEffect, ResumeEffect } from './buffering';
import { clampToDuration, positionAt } from './state';
import type { CommandAction, SyncCommand, SyncState } from './types';

/**
 * The hold every peer derives from the buffering reports, as a command: the room pauses at the
 * hold's moment, where the newest known timeline `latest` is then.
 */
export function holdCommand(effect: HoldEffect, latest: SyncState, duration: number, content: string | null): SyncCommand {
  const state: SyncState = {
    playing: false,
    position: clampToDuration(positionAt(latest, effect.at), duration),
    at: effect.at,
    rate: latest.rate,
    id: effect.id,
    content,
  };
  return { id: effect.id, action: 'hold', state, issued: effect.at, peer: effect.peer, user: '', name: '' };
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
