/**
 * Shown above every view while the catalog holds sample data (the synthetic catalog seeded on a
 * first start): what it is, where to import the real export, and how to remove it.
 */
import { useState, type MouseEvent } from 'react';
import { RemoveSampleDataDialog } from './RemoveSampleDataDialog';
import { hasSampleData, useSampleData } from './sample-data';

export function SampleDataBanner({
  importHref,
  onImport,
}: {
  /** The Import & export screen's address. */
  importHref: string;
  onImport: () => void;
}) {
  const { data: counts } = useSampleData();
  const [confirming, setConfirming] = useState(false);
  if (!counts || !hasSampleData(counts)) return null;
  const goToImport = (event: MouseEvent<HTMLAnchorElement>) => {
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) return;
    event.preventDefault();
    onImport();
  };
  return (
    <div className="sample-banner" role="region" aria-label="Sample data">
      <p>
        <strong>You are looking at sample data</strong> —{' '}
        <a href={importHref} onClick={goToImport}>
          Import your Shopify export
        </a>{' '}
        ·{' '}
        <button type="button" className="link-button" onClick={() => setConfirming(true)}>
          Remove sample data
        </button>
      </p>
      {confirming && (
        <RemoveSampleDataDialog counts={counts} onClose={() => setConfirming(false)} />
      )}
    </div>
  );
}
