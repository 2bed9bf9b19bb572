export { RoomRealtime, type RoomRealtimeProps } from './RoomRealtime';
export type { JoinRoomResponse, RoomPlayback } from './api';
export type { SyncDebug, SessionSnapshot } from './session';
export { SyncEngine } from './sync/engine';
export type { SyncCommand, SyncState } from './sync/types';
export { PROTOCOL_VERSION, type WireMessage } from './protocol';
