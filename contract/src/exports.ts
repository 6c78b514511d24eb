import { Type, type Static } from 'typebox';
import { ProductFilterFields, ProductSortField } from './product-filters.js';
import { TransferJobQuery } from './jobs.js';

const bom = (fallback: boolean, why: string) =>
  Type.Boolean({
    default: fallback,
    description: `true: the file starts with a UTF-8 byte order mark. ${why}`,
  });

/** GET /api/export/csv: the product-list filters, plus the byte order mark (on by default). */
export const SpreadsheetExportQuery = Type.Object(
  {
    ...ProductFilterFields,
    sort: ProductSortField,
    bom: bom(true, 'On by default: Excel reads a CSV without it in the local code page.'),
    ...TransferJobQuery,
  },
  { additionalProperties: false },
);
export type SpreadsheetExportQuery = Static<typeof SpreadsheetExportQuery>;

/** GET /api/export/shopify.csv: the product-list filters, plus the byte order mark (off). */
export const ShopifyExportQuery = Type.Object(
  {
    ...ProductFilterFields,
    sort: ProductSortField,
    bom: bom(
      false,
      "Off by default: Shopify's importer reads UTF-8 and its own export has no mark (docs/shopify-csv.md).",
    ),
    ...TransferJobQuery,
  },
  { additionalProperties: false },
);
export type ShopifyExportQuery = Static<typeof ShopifyExportQuery>;
