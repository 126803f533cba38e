// Imported first by run.ts: the functions' logger reads its level when its module loads, and a
// benchmark printing one JSON line per request would measure the terminal.
process.env.SWITCHBOARD_LOG_LEVEL ??= 'error';
