/** The application's services, built once per app over one database. */
import type { Executor } from './db/client.js';
import { AssignmentService } from './features/assignments/assignments.service.js';
import { CategoryService } from './features/categories/categories.service.js';
import { ExportService } from './features/exports/exports.service.js';
import { ImportService } from './features/imports/imports.service.js';
import { ProductService } from './features/products/products.service.js';
import { StatsService } from './features/stats/stats.service.js';

export function createServices(db: Executor) {
  const categories = new CategoryService(db);
  return {
    categories,
    products: new ProductService(db, categories),
    assignments: new AssignmentService(db, categories),
    imports: new ImportService(db, categories),
    stats: new StatsService(db, categories),
    exports: new ExportService(db, categories),
  };
}

export type Services = ReturnType<typeof createServices>;
