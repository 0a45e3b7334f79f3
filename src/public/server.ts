/**
 * amltk/server — the tracking server and dashboard: `createServer`.
 *
 * @module amltk/server
 */

// --- server (src/server) ---
export {};
