export * from './build.ts';
export * from './common.ts';
export * from './conversation.ts';
export * from './events.ts';
export * from './ids.ts';
export * from './message.ts';
export * from './parts.ts';
