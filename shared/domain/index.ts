export * from './conversation.ts';
export * from './register.ts';
export * from './state-changed.ts';
export * from './status.ts';
export * from './time.ts';
