export * from './common.js';
export * from './categories.js';
export * from './products.js';
export * from './bulk.js';
export * from './stats.js';
export * from './imports.js';
export * from './system.js';
export * from './tokens.js';
