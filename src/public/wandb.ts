/**
 * amltk/wandb — the seed's plugin: `WandbPlugin`, `WandbParams`.
 *
 * @module amltk/wandb
 */

// --- wandb (src/wandb) ---
export {};
