/**
 * The CSV export as a link. A plain link cannot send the API token, so while one is stored
 * (AUTH_MODE=token) the file is fetched with it and saved from memory instead.
 */
import { useState, type ReactNode } from 'react';
import { api, type ProductFilterParams } from '../api/client';
import { useAuthState } from '../features/auth/ApiToken';
import { useErrorHandler } from '../lib/error-handler';

export const EXPORT_FILE_NAME = 'product_categories.csv';

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
}: {
  filters: ProductFilterParams;
  className: string;
  children: ReactNode;
  testId?: string;
}) {
  const { token } = useAuthState();
  const handleError = useErrorHandler();
  const [busy, setBusy] = useState(false);
  return (
    <a
      className={className}
      href={api.exportCsvUrl(filters)}
      download
      data-testid={testId}
      aria-busy={busy || undefined}
      onClick={async (event) => {
        if (!token) return;
        event.preventDefault();
        if (busy) return;
        setBusy(true);
        try {
          saveFile(await api.downloadExport(filters), EXPORT_FILE_NAME);
        } catch (error) {
          handleError(error, { action: 'Could not export the products' });
        } finally {
          setBusy(false);
        }
      }}
    >
      {children}
    </a>
  );
}
