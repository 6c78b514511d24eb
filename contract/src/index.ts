export * from './common.js';
export * from './categories.js';
export * from './products.js';
export * from './product-filters.js';
export * from './catalog-values.js';
export * from './bulk.js';
export * from './stats.js';
export * from './imports.js';
export * from './limits.js';
export * from './system.js';
export * from './tokens.js';
export * from './search.js';
export * from './metrics-history.js';

export * from './sample-data.js';

export * from './exports.js';
export * from './suggestions.js';
export * from './queue.js';
export * from './jobs.js';
export * from './webhooks.js';
export * from './events.js';
