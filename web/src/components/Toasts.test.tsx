/** Toasts: a success on an action dismisses the earlier error of that action, and only that. */
import { act, fireEvent, render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { ToastProvider, useToasts, type Toast } from './Toasts';

function Harness({ toasts }: { toasts: Record<string, Omit<Toast, 'id'>> }) {
  const { show } = useToasts();
  return (
    <>
      {Object.entries(toasts).map(([label, toast]) => (
        <button key={label} type="button" onClick={() => show(toast)}>
          {label}
        </button>
      ))}
    </>
  );
}

const titles = () =>
  screen.queryAllByTestId('toast').map((toast) => toast.querySelector('strong')!.textContent);

describe('Toasts', () => {
  it('a success on a topic dismisses the errors on it and leaves other errors', () => {
    render(
      <ToastProvider>
        <Harness
          toasts={{
            renameFails: {
              kind: 'error',
              title: 'Could not rename the category',
              topic: 'category.rename',
            },
            deleteFails: {
              kind: 'error',
              title: 'Could not delete the category',
              topic: 'category.delete',
            },
            untopical: { kind: 'error', title: 'The statistics could not be loaded' },
            renamed: { kind: 'success', title: 'Renamed to “Tools”', topic: 'category.rename' },
          }}
        />
      </ToastProvider>,
    );
    act(() => fireEvent.click(screen.getByText('renameFails')));
    act(() => fireEvent.click(screen.getByText('deleteFails')));
    act(() => fireEvent.click(screen.getByText('untopical')));
    act(() => fireEvent.click(screen.getByText('renameFails')));
    // A repeated error on a topic replaces the older one instead of stacking.
    expect(titles()).toEqual([
      'Could not delete the category',
      'The statistics could not be loaded',
      'Could not rename the category',
    ]);
    act(() => fireEvent.click(screen.getByText('renamed')));
    expect(titles()).toEqual([
      'Could not delete the category',
      'The statistics could not be loaded',
      'Renamed to “Tools”',
    ]);
    expect(screen.getAllByRole('alert')).toHaveLength(2);
  });
});
