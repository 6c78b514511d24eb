/**
 * Import and export: upload a Shopify product export (CSV) or a category list (JSON) and read the
 * import report; download the products and their categories as CSV (all, or the current filter).
 */
import { useId, useRef, useState, type FormEvent } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { ImportReport } from '@tag-manager/contract';
import { api } from '../../api/client';
import { queryKeys } from '../../api/queries';
import { ExportLink } from '../../components/ExportLink';
import { useToasts } from '../../components/Toasts';
import { useErrorHandler } from '../../lib/error-handler';
import { formatLocation, toFilterParams, type WorkspaceState } from '../../lib/url-state';
import { sampleDataKey } from '../sample-data/sample-data';
import { useSampleImportPrompt } from '../sample-data/SampleImportPrompt';

export function TransferView({ state }: { state: WorkspaceState }) {
  const filters = toFilterParams(state);
  const hasFilters = Object.entries(filters).some(
    ([key, value]) => key !== 'sort' && value !== undefined,
  );
  return (
    <div className="page">
      <h1>Import &amp; export</h1>
      <div className="stats-columns">
        <ImportCard kind="products" />
        <ImportCard kind="categories" />
      </div>
      <section className="card" aria-labelledby="export-title">
        <h2 id="export-title">Export</h2>
        <p>
          A CSV of <code>product_id, product_name, categories</code>, with each product&apos;s most
          specific categories as paths joined by <code>; </code>, ready to bring back into the
          store.
        </p>
        <div className="button-row">
          <ExportLink className="button button-primary" filters={{}}>
            Export all products
          </ExportLink>
          {hasFilters && (
            <ExportLink className="button" filters={filters}>
              Export the current filter
            </ExportLink>
          )}
        </div>
        {hasFilters && (
          <p className="field-hint">
            Current filter:{' '}
            <a href={formatLocation({ ...state, view: 'products' })}>
              back to the filtered products
            </a>
          </p>
        )}
      </section>
    </div>
  );
}

function ImportCard({ kind }: { kind: 'products' | 'categories' }) {
  const id = useId();
  const fileRef = useRef<HTMLInputElement>(null);
  const [file, setFile] = useState<File | null>(null);
  const [report, setReport] = useState<ImportReport | null>(null);
  const queryClient = useQueryClient();
  const handleError = useErrorHandler();
  const { show } = useToasts();
  const upload = useMutation({
    mutationFn: (chosen: File) =>
      kind === 'products'
        ? api.importProducts(chosen, chosen.name)
        : api.importCategories(chosen, chosen.name),
    onSuccess: ({ data }) => {
      setReport(data);
      // An import can touch anything: every cached read is out of date.
      void queryClient.invalidateQueries({ queryKey: queryKeys.products });
      void queryClient.invalidateQueries({ queryKey: ['product'] });
      void queryClient.invalidateQueries({ queryKey: queryKeys.tree });
      void queryClient.invalidateQueries({ queryKey: queryKeys.catalogValues });
      void queryClient.invalidateQueries({ queryKey: queryKeys.stats });
      void queryClient.invalidateQueries({ queryKey: sampleDataKey });
      show({
        kind: 'success',
        title: `Import finished: ${data.created} created, ${data.updated} updated`,
      });
    },
    onError: (error) => handleError(error, { action: 'The import failed' }),
  });
  // The first real product import over sample data asks whether to remove it first.
  const samplePrompt = useSampleImportPrompt();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!file) return;
    if (kind === 'products') void samplePrompt.guard(() => upload.mutate(file));
    else upload.mutate(file);
  };
  const title = kind === 'products' ? 'Import products' : 'Import categories';
  return (
    <section className="card" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>{title}</h2>
      <p className="field-hint">
        {kind === 'products'
          ? 'A Shopify product export (CSV). Re-importing the same file changes nothing; rows that cannot be read are listed with their line number.'
          : 'A category list (JSON array of {category_name, category_level, connected_to}). Existing categories are kept.'}
      </p>
      <form className="form" onSubmit={submit}>
        <div className="field">
          <label htmlFor={`${id}-file`}>{kind === 'products' ? 'CSV file' : 'JSON file'}</label>
          <input
            ref={fileRef}
            id={`${id}-file`}
            type="file"
            accept={kind === 'products' ? '.csv,text/csv' : '.json,application/json'}
            onChange={(event) => {
              setFile(event.target.files?.[0] ?? null);
              setReport(null);
            }}
          />
        </div>
        <button
          type="submit"
          className="button button-primary"
          disabled={!file || upload.isPending}
        >
          {upload.isPending ? 'Importing…' : 'Import'}
        </button>
      </form>
      {report && <ImportReportView report={report} />}
      {samplePrompt.dialog}
    </section>
  );
}

function ImportReportView({ report }: { report: ImportReport }) {
  return (
    <div className="import-report" role="status" data-testid={`import-report-${report.kind}`}>
      <h3 className="section-title">Report</h3>
      <dl className="report-figures">
        <div>
          <dt>Records</dt>
          <dd>{report.records}</dd>
        </div>
        <div>
          <dt>Created</dt>
          <dd>{report.created}</dd>
        </div>
        <div>
          <dt>Updated</dt>
          <dd>{report.updated}</dd>
        </div>
        <div>
          <dt>Unchanged</dt>
          <dd>{report.unchanged}</dd>
        </div>
        <div>
          <dt>Rejected</dt>
          <dd>{report.rejected_total}</dd>
        </div>
      </dl>
      {report.rejected.length > 0 && (
        <table className="top-table">
          <caption>
            Rejected {report.kind === 'products' ? 'rows' : 'entries'}
            {report.rejected_total > report.rejected.length &&
              ` (the first ${report.rejected.length} of ${report.rejected_total})`}
          </caption>
          <thead>
            <tr>
              <th scope="col">{report.kind === 'products' ? 'Line' : 'Entry'}</th>
              <th scope="col">Reason</th>
            </tr>
          </thead>
          <tbody>
            {report.rejected.map((rejection) => (
              <tr key={`${rejection.line}-${rejection.reason}`}>
                <td className="numeric">{rejection.line}</td>
                <td>{rejection.reason}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
