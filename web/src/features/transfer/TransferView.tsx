/**
 * Import and export: upload a Shopify product export (CSV), a category list (JSON) or an
 * assignments file (the app's CSV export or the Shopify file) and read the report in the card
 * itself, with the refused rows as a CSV download; download the products and their categories
 * for a spreadsheet, or as a file for Shopify's product import.
 */
import { useId, useRef, useState, type FormEvent } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { ImportRejection, ImportReport } from '@tag-manager/contract';
import { api, ApiError, type ImportReportEnvelope } from '../../api/client';
import { queryKeys } from '../../api/queries';
import { ExportLink } from '../../components/ExportLink';
import { useErrorHandler } from '../../lib/error-handler';
import { formatLocation, toFilterParams, type WorkspaceState } from '../../lib/url-state';
import { sampleDataKey } from '../sample-data/sample-data';
import { useSampleImportPrompt } from '../sample-data/SampleImportPrompt';
import { estimateRows, JobProgress, useJobProgress } from './JobProgress';

export type ImportKind = 'products' | 'categories' | 'assignments';

/** The product upload on its own, so that a prompt (remove sample data first?) can wrap it. */
export function uploadProducts(file: File): Promise<ImportReportEnvelope> {
  return api.importProducts(file, file.name);
}

const IMPORTS: Record<
  ImportKind,
  {
    title: string;
    hint: string;
    label: string;
    accept: string;
    upload: (file: File) => Promise<ImportReportEnvelope>;
  }
> = {
  products: {
    title: 'Import products',
    hint: 'A Shopify product export (CSV). Re-importing the same file changes nothing; rows that cannot be read are listed with their line number.',
    label: 'CSV file',
    accept: '.csv,text/csv',
    upload: uploadProducts,
  },
  categories: {
    title: 'Import categories',
    hint: 'A category list (JSON array of {category_name, category_level, connected_to}). Existing categories are kept.',
    label: 'JSON file',
    accept: '.json,application/json',
    upload: (file) => api.importCategories(file, file.name),
  },
  assignments: {
    title: 'Import assignments',
    hint: "This app's CSV export or its Shopify file. Each product in the file gets exactly the file's categories; products not in the file are left alone. If any line is wrong, nothing is changed and the lines are listed.",
    label: 'CSV file',
    accept: '.csv,text/csv',
    upload: (file) => api.importAssignments(file, file.name),
  },
};

export function TransferView({ state }: { state: WorkspaceState }) {
  const filters = toFilterParams(state);
  // The export's job: polled until it finishes (a browser download cannot be watched otherwise).
  const [exportJob, setExportJob] = useState<number | null>(null);
  const exportProgress = useJobProgress(exportJob, exportJob !== null);
  const exportRunning =
    exportJob !== null &&
    (exportProgress.data === undefined ||
      exportProgress.data.state === 'running' ||
      exportProgress.data.state === 'queued');
  const followExport = (jobId: number) => setExportJob(jobId);
  const hasFilters = Object.entries(filters).some(
    ([key, value]) => key !== 'sort' && value !== undefined,
  );
  return (
    <div className="page">
      <h1>Import &amp; export</h1>
      <div className="stats-columns">
        <ImportCard kind="products" />
        <ImportCard kind="categories" />
        <ImportCard kind="assignments" />
      </div>
      <section className="card" aria-labelledby="export-title">
        <h2 id="export-title">Export</h2>
        <h3 className="section-title">For a spreadsheet or a backup</h3>
        <p>
          A CSV of <code>product_id, product_name, categories</code>, with each product&apos;s most
          specific categories as paths joined by <code>; </code>. Opens in Excel with accents
          intact. Shopify cannot import this file; &quot;Import assignments&quot; above can, to
          restore the categories.
        </p>
        <div className="button-row">
          <ExportLink
            className="button button-primary"
            filters={{}}
            testId="export-all"
            onJob={followExport}
          >
            Export all products
          </ExportLink>
          {hasFilters && (
            <ExportLink className="button" filters={filters}>
              Export the current filter
            </ExportLink>
          )}
        </div>
        <h3 className="section-title">For Shopify</h3>
        <p>
          A CSV for Shopify&apos;s product import (Products → Import, with &quot;Overwrite products
          with matching handles&quot;): <code>Handle</code>, <code>Title</code>, <code>Tags</code> —
          the product&apos;s own tags plus one <code>Category: …</code> tag per category — and the
          categories as a list metafield. It updates existing products only; descriptions, variants,
          prices and images are not in the file and stay as they are in the store. Titles and tags
          are written back as the app holds them from the last product import, so import your latest
          Shopify export first; create the metafield definition in Shopify once (see
          docs/shopify-csv.md).
        </p>
        <div className="button-row">
          <ExportLink
            className="button button-primary"
            filters={{}}
            file="shopify"
            testId="export-shopify"
            onJob={followExport}
          >
            Shopify CSV: all products
          </ExportLink>
          {hasFilters && (
            <ExportLink className="button" filters={filters} file="shopify">
              Shopify CSV: the current filter
            </ExportLink>
          )}
        </div>
        {exportJob !== null && (
          <JobProgress
            job={exportProgress.data}
            label="Export progress"
            finished={!exportRunning}
          />
        )}
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

/** What the last upload came to: a report, a file refused line by line, or another error. */
type Outcome =
  | { kind: 'report'; report: ImportReport }
  | { kind: 'refused'; message: string; rejected: ImportRejection[]; total: number }
  | { kind: 'failed'; message: string };

function outcomeOfError(error: unknown): Outcome {
  if (error instanceof ApiError) {
    const rejected = error.details.rejected;
    if (Array.isArray(rejected)) {
      return {
        kind: 'refused',
        message: error.message,
        rejected: rejected as ImportRejection[],
        total: Number(error.details.rejected_total ?? rejected.length),
      };
    }
    return { kind: 'failed', message: error.message };
  }
  return { kind: 'failed', message: error instanceof Error ? error.message : String(error) };
}

/** Errors the card explains itself; anything else (sign-in, server down) also goes to the handler. */
const explainedInCard = (error: unknown) =>
  error instanceof ApiError && [400, 413, 415, 422].includes(error.status);

function ImportCard({ kind }: { kind: ImportKind }) {
  const id = useId();
  const fileRef = useRef<HTMLInputElement>(null);
  const [file, setFile] = useState<File | null>(null);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  // A product import runs as a job: reserved first, so its progress can be polled while the
  // upload runs (the upload's answer only comes at the end).
  const [jobId, setJobId] = useState<number | null>(null);
  const [estimate, setEstimate] = useState<number | null>(null);
  const queryClient = useQueryClient();
  const handleError = useErrorHandler();
  const config = IMPORTS[kind];
  const upload = useMutation({
    mutationFn: async (chosen: File) => {
      if (kind !== 'products') return config.upload(chosen);
      // No job (an older server, a viewer token): the import still runs, without a bar.
      const job = await api.reserveTransferJob('import.products').catch(() => null);
      setJobId(job?.data.id ?? null);
      void estimateRows(chosen).then(setEstimate);
      return api.importProducts(chosen, chosen.name, job?.data.id);
    },
    onMutate: () => {
      setOutcome(null);
      setJobId(null);
      setEstimate(null);
    },
    onSettled: () => {
      // The job's final counters and state.
      void queryClient.invalidateQueries({ queryKey: ['job'] });
    },
    onSuccess: ({ data }) => {
      setOutcome({ kind: 'report', report: data });
      // An import can touch anything: every cached read is out of date.
      void queryClient.invalidateQueries({ queryKey: queryKeys.products });
      void queryClient.invalidateQueries({ queryKey: ['product'] });
      void queryClient.invalidateQueries({ queryKey: queryKeys.tree });
      void queryClient.invalidateQueries({ queryKey: queryKeys.catalogValues });
      void queryClient.invalidateQueries({ queryKey: queryKeys.stats });
      void queryClient.invalidateQueries({ queryKey: sampleDataKey });
    },
    onError: (error) => {
      setOutcome(outcomeOfError(error));
      if (!explainedInCard(error)) handleError(error, { action: 'The import failed' });
    },
  });
  const progress = useJobProgress(jobId, upload.isPending);
  // The first real product import over sample data asks whether to remove it first.
  const samplePrompt = useSampleImportPrompt();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!file) return;
    if (kind === 'products') void samplePrompt.guard(() => upload.mutate(file));
    else upload.mutate(file);
  };
  return (
    <section className="card" aria-labelledby={`${id}-title`} data-testid={`import-card-${kind}`}>
      <h2 id={`${id}-title`}>{config.title}</h2>
      <p className="field-hint">{config.hint}</p>
      <form className="form" onSubmit={submit}>
        <div className="field">
          <label htmlFor={`${id}-file`}>{config.label}</label>
          <input
            ref={fileRef}
            id={`${id}-file`}
            type="file"
            accept={config.accept}
            data-testid={`import-file-${kind}`}
            onChange={(event) => {
              setFile(event.target.files?.[0] ?? null);
              setOutcome(null);
            }}
          />
        </div>
        <button
          type="submit"
          className="button button-primary"
          disabled={!file || upload.isPending}
          data-testid={`import-submit-${kind}`}
        >
          {upload.isPending ? 'Importing…' : 'Import'}
        </button>
      </form>
      {jobId !== null && (
        <JobProgress
          job={progress.data}
          label="Import progress"
          estimatedTotal={estimate}
          finished={outcome?.kind === 'report'}
        />
      )}
      {outcome?.kind === 'report' && <ImportReportView report={outcome.report} file={file} />}
      {outcome?.kind === 'refused' && (
        <div className="import-report" role="alert" data-testid={`import-refused-${kind}`}>
          <h3 className="section-title">Nothing was imported</h3>
          <p>{outcome.message}</p>
          <RejectedRows kind={kind} rejected={outcome.rejected} total={outcome.total} file={file} />
        </div>
      )}
      {outcome?.kind === 'failed' && (
        <div className="import-report" role="alert" data-testid={`import-failed-${kind}`}>
          <h3 className="section-title">The import failed</h3>
          <p>{outcome.message}</p>
        </div>
      )}
      {samplePrompt.dialog}
    </section>
  );
}

function ImportReportView({ report, file }: { report: ImportReport; file: File | null }) {
  const figures: [string, number][] =
    report.kind === 'assignments'
      ? [
          ['Products', report.records],
          ['Changed', report.updated],
          ['Unchanged', report.unchanged],
          ['Rejected', report.rejected_total],
        ]
      : [
          ['Records', report.records],
          ['Created', report.created],
          ['Updated', report.updated],
          ['Unchanged', report.unchanged],
          ['Rejected', report.rejected_total],
        ];
  return (
    <div className="import-report" role="status" data-testid={`import-report-${report.kind}`}>
      <h3 className="section-title">Report</h3>
      <dl className="report-figures">
        {figures.map(([label, value]) => (
          <div key={label}>
            <dt>{label}</dt>
            <dd>{value}</dd>
          </div>
        ))}
      </dl>
      {report.kind === 'assignments' && (
        <p className="field-hint">
          {report.format === 'shopify' ? 'Shopify file' : 'App export'}:{' '}
          {report.assignments_added ?? 0} assignments added, {report.assignments_removed ?? 0}{' '}
          removed.
        </p>
      )}
      {report.placements && (
        <p className="field-hint">
          An entry goes under every parent of that name: {report.placements.created} categories
          created, {report.placements.updated} renamed, {report.placements.unchanged} already there.
        </p>
      )}
      {report.rejected.length > 0 && (
        <RejectedRows
          kind={report.kind}
          rejected={report.rejected}
          total={report.rejected_total}
          file={file}
        />
      )}
    </div>
  );
}

function RejectedRows({
  kind,
  rejected,
  total,
  file,
}: {
  kind: ImportKind;
  rejected: ImportRejection[];
  total: number;
  file: File | null;
}) {
  const unit = kind === 'categories' ? 'Entry' : 'Line';
  return (
    <>
      <table className="top-table">
        <caption>
          Rejected {kind === 'categories' ? 'entries' : 'rows'}
          {total > rejected.length && ` (the first ${rejected.length} of ${total})`}
        </caption>
        <thead>
          <tr>
            <th scope="col">{unit}</th>
            <th scope="col">Reason</th>
          </tr>
        </thead>
        <tbody>
          {rejected.map((rejection) => (
            <tr key={`${rejection.line}-${rejection.reason}`}>
              <td className="numeric">{rejection.line}</td>
              <td>{rejection.reason}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <div className="button-row">
        <button
          type="button"
          className="button"
          data-testid={`download-rejected-${kind}`}
          onClick={() => void downloadRejected(kind, rejected, file)}
        >
          Download the rejected rows (CSV)
        </button>
      </div>
    </>
  );
}

/** A CSV cell: quoted, and inert in a spreadsheet (as the server's exports). */
function csvCell(value: string | number): string {
  const text = String(value);
  const safe = /^[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20]/.test(text) ? `'${text}` : text;
  return `"${safe.replace(/"/g, '""')}"`;
}

/** Files up to this size are read again to quote each rejected line in the download. */
const QUOTE_LINES_UP_TO_BYTES = 20 * 1024 * 1024;

/**
 * `line,reason,row`: the report's rejections, and for CSV files the rejected line as it stands
 * in the file (its first physical line, for a row that spans several).
 */
async function downloadRejected(kind: ImportKind, rejected: ImportRejection[], file: File | null) {
  let lines: string[] | undefined;
  if (kind !== 'categories' && file && file.size <= QUOTE_LINES_UP_TO_BYTES) {
    lines = (await file.text()).split(/\r?\n/);
  }
  const header = kind === 'categories' ? ['entry', 'reason'] : ['line', 'reason', 'row'];
  const rows = rejected.map((rejection) =>
    kind === 'categories'
      ? [rejection.line, rejection.reason]
      : [rejection.line, rejection.reason, lines?.[rejection.line - 1] ?? ''],
  );
  const text = `\uFEFF${[header, ...rows].map((row) => row.map(csvCell).join(',')).join('\r\n')}\r\n`;
  const url = URL.createObjectURL(new Blob([text], { type: 'text/csv;charset=utf-8' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = `rejected-${kind}-${new Date().toISOString().slice(0, 10)}.csv`;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
