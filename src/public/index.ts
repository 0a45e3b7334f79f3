/**
 * amltk — the programming model: `Scheduler`, `Task`, `Trial`, `Trial.Task`, `Metric`,
 * `History`, plugins, search spaces and optimizers.
 *
 * @module amltk
 */

// --- scheduling (src/scheduling) ---

// --- trial (src/trial) ---

// --- optim (src/optim) ---

export const VERSION = "0.1.0";
