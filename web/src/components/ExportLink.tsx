/**
 * The CSV export as a link. A plain link cannot send the API token, so while one is stored
 * (AUTH_MODE=token) the file is fetched with it and saved from memory instead.
 */
import { useState, type ReactNode } from 'react';
import { api, type ExportFile, type ProductFilterParams } from '../api/client';
import { useAuthState } from '../features/auth/ApiToken';
import { useErrorHandler } from '../lib/error-handler';

/** The server's file name (Content-Disposition), for when the file is saved from memory. */
export const exportFileName = (file: ExportFile = 'spreadsheet', now = new Date()) =>
  `tag-manager-${file === 'shopify' ? 'shopify' : 'export'}-${now.toISOString().slice(0, 10)}.csv`;

function saveFile(blob: Blob, fileName: string) {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

export function ExportLink({
  filters,
  className,
  children,
  testId,
  file = 'spreadsheet',
  onJob,
}: {
  filters: ProductFilterParams;
  /** Which export: the spreadsheet CSV (default) or the Shopify file. */
  file?: ExportFile;
  className: string;
  children: ReactNode;
  testId?: string;
  /**
   * Run the export as a job whose progress the page shows: the job is reserved first, then the
   * download names it (`job_id`); told the job's id, and false when the download is over.
   */
  onJob?: (jobId: number, running: boolean) => void;
}) {
  const { token } = useAuthState();
  const handleError = useErrorHandler();
  const [busy, setBusy] = useState(false);
  return (
    <a
      className={className}
      href={api.exportCsvUrl(filters, file)}
      download
      data-testid={testId}
      aria-busy={busy || undefined}
      onClick={async (event) => {
        if (!token && !onJob) return;
        event.preventDefault();
        if (busy) return;
        setBusy(true);
        // Without a job (a viewer token cannot reserve one) the export runs all the same.
        const jobId = onJob
          ? ((await api.reserveTransferJob('export.csv').catch(() => null))?.data.id ?? undefined)
          : undefined;
        if (jobId !== undefined) onJob?.(jobId, true);
        try {
          if (token) {
            saveFile(await api.downloadExport(filters, file, jobId), exportFileName(file));
          } else {
            // The browser downloads it (streamed to disk); the page follows the job's progress.
            const link = document.createElement('a');
            link.href = api.exportCsvUrl(filters, file, jobId);
            link.download = '';
            document.body.append(link);
            link.click();
            link.remove();
          }
        } catch (error) {
          handleError(error, { action: 'Could not export the products' });
        } finally {
          setBusy(false);
          if (jobId !== undefined && token) onJob?.(jobId, false);
        }
      }}
    >
      {children}
    </a>
  );
}
