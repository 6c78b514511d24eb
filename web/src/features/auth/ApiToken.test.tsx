import { act, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { TreeNode } from '@tag-manager/contract';
import { authStore, createAuthStore, TOKEN_STORAGE_KEY, type AuthStore } from '../../api/auth';
import { ApiError, createApiClient } from '../../api/client';
import { ExportLink } from '../../components/ExportLink';
import { ToastProvider } from '../../components/Toasts';
import { buildCategoryIndex } from '../../lib/category-index';
import { describeError } from '../../lib/error-handler';
import { renderWithProviders } from '../../test/render';
import { CreateCategoryDialog } from '../categories/CreateCategoryDialog';
import { ApiTokenGate, SignOutButton } from './ApiToken';

const TOKEN = 'tm_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG';
const OTHER = 'tm_ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210zyxwvut';

const stats = { success: true, data: { total_products: 1 }, timestamp: 't', request_id: 'ok-1' };
const errorBody = (code: string, error: string, details: Record<string, unknown>) => ({
  success: false,
  error,
  code,
  details,
  timestamp: '2026-01-01T00:00:00.000Z',
  request_id: 'req-401',
});

/**
 * A server with AUTH_MODE=token: only `accepted` tokens are served, a revoked one is refused as
 * revoked; every request is recorded with the token it carried.
 */
function tokenServer(accepted: string[], options: { revoked?: string[]; body?: unknown } = {}) {
  const calls: { url: string; authorization: string | null }[] = [];
  const fetchMock = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const authorization = new Headers(init?.headers).get('authorization');
    calls.push({ url: String(input), authorization });
    const token = authorization?.replace(/^Bearer /, '') ?? null;
    if (token && accepted.includes(token)) {
      return new Response(JSON.stringify(options.body ?? stats), {
        status: 200,
        headers: { 'content-type': 'application/json' },
      });
    }
    const reason = !token
      ? 'missing_token'
      : options.revoked?.includes(token)
        ? 'revoked_token'
        : 'invalid_token';
    const message = {
      missing_token: 'An API token is required: send the header "Authorization: Bearer <token>"',
      revoked_token: 'This API token has been revoked',
      invalid_token: 'This API token is not valid',
    }[reason];
    return new Response(JSON.stringify(errorBody('UNAUTHORIZED', message, { reason })), {
      status: 401,
      headers: { 'content-type': 'application/json', 'www-authenticate': 'Bearer' },
    });
  });
  return { fetchMock, calls };
}

let store: AuthStore;
beforeEach(() => {
  localStorage.clear();
  store = createAuthStore(localStorage);
});
afterEach(() => {
  vi.unstubAllGlobals();
  authStore.clearToken();
  localStorage.clear();
});

function renderGate(target: AuthStore = store) {
  return render(
    <QueryClientProvider client={new QueryClient()}>
      <ToastProvider>
        <header>
          <SignOutButton store={target} />
        </header>
        <ApiTokenGate store={target} />
      </ToastProvider>
    </QueryClientProvider>,
  );
}

async function enterToken(token: string) {
  const input = await screen.findByLabelText('API token');
  fireEvent.change(input, { target: { value: `  ${token} ` } });
  fireEvent.click(screen.getByRole('button', { name: 'Use this token' }));
}

describe('the API token dialog', () => {
  it('asks for a token on a 401, stores it, and retries the request with it', async () => {
    const { fetchMock, calls } = tokenServer([TOKEN]);
    const client = createApiClient('', fetchMock, store);
    renderGate();
    const pending = client.getStats();

    const dialog = await screen.findByRole('dialog', { name: 'API token required' });
    expect(dialog).toHaveTextContent('only answers requests that carry an API token');
    expect(dialog).toHaveTextContent('npm run token -- create --role editor');
    expect(screen.getByLabelText('API token')).toHaveFocus();
    expect(screen.getByLabelText('API token')).toHaveAttribute('type', 'password');

    await enterToken(TOKEN);
    await expect(pending).resolves.toEqual(stats);
    expect(calls.map((call) => call.authorization)).toEqual([null, `Bearer ${TOKEN}`]);
    expect(localStorage.getItem(TOKEN_STORAGE_KEY)).toBe(TOKEN);
    expect(screen.queryByRole('dialog')).toBeNull();

    // From now on every request carries it, without asking.
    await client.getStats();
    expect(calls.at(-1)!.authorization).toBe(`Bearer ${TOKEN}`);
    expect(calls).toHaveLength(3);
  });

  it('asks once for requests that fail together, and retries them all', async () => {
    const { fetchMock, calls } = tokenServer([TOKEN]);
    const client = createApiClient('', fetchMock, store);
    renderGate();
    const both = Promise.all([client.getStats(), client.getCategoryTree()]);
    await enterToken(TOKEN);
    await both;
    expect(screen.queryAllByRole('dialog')).toHaveLength(0);
    expect(calls.filter((call) => call.authorization === `Bearer ${TOKEN}`)).toHaveLength(2);
  });

  it('says why a token was refused, forgets it, and asks again until one works', async () => {
    localStorage.setItem(TOKEN_STORAGE_KEY, OTHER);
    store = createAuthStore(localStorage);
    const { fetchMock, calls } = tokenServer([TOKEN], { revoked: [OTHER] });
    const client = createApiClient('', fetchMock, store);
    renderGate();
    expect(screen.getByRole('button', { name: 'Sign out' })).toBeInTheDocument();
    const pending = client.getStats();

    expect(await screen.findByRole('alert')).toHaveTextContent(
      'The server did not accept the token: This API token has been revoked.',
    );
    expect(localStorage.getItem(TOKEN_STORAGE_KEY)).toBeNull();
    expect(screen.queryByRole('button', { name: 'Sign out' })).toBeNull();

    await enterToken('tm_typo');
    expect(await screen.findByRole('alert')).toHaveTextContent('This API token is not valid');
    await enterToken(TOKEN);
    await expect(pending).resolves.toEqual(stats);
    expect(calls.map((call) => call.authorization)).toEqual([
      `Bearer ${OTHER}`,
      'Bearer tm_typo',
      `Bearer ${TOKEN}`,
    ]);
  });

  it('leaves the 401 as the answer when the operator cancels', async () => {
    const { fetchMock, calls } = tokenServer([TOKEN]);
    const client = createApiClient('', fetchMock, store);
    renderGate();
    const pending = client.getStats();
    await screen.findByRole('dialog', { name: 'API token required' });
    fireEvent.click(screen.getByRole('button', { name: 'Cancel' }));
    await expect(pending).rejects.toMatchObject({ status: 401, code: 'UNAUTHORIZED' });
    expect(calls).toHaveLength(1);
    expect(localStorage.getItem(TOKEN_STORAGE_KEY)).toBeNull();
  });

  it('wants something in the field before sending', async () => {
    const { fetchMock } = tokenServer([TOKEN]);
    const client = createApiClient('', fetchMock, store);
    renderGate();
    void client.getStats().catch(() => {});
    await screen.findByRole('dialog');
    fireEvent.click(screen.getByRole('button', { name: 'Use this token' }));
    expect(screen.getByText('Paste the API token')).toBeInTheDocument();
    expect(screen.getByLabelText('API token')).toHaveAttribute('aria-invalid', 'true');
    expect(fetchMock).toHaveBeenCalledTimes(1);
    act(() => store.cancel());
  });

  it('without the dialog mounted, a 401 fails at once', async () => {
    const { fetchMock } = tokenServer([TOKEN]);
    const client = createApiClient('', fetchMock, store);
    await expect(client.getStats()).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
  });

  it('Sign out forgets the stored token', async () => {
    store.submit(TOKEN);
    renderGate();
    fireEvent.click(screen.getByRole('button', { name: 'Sign out' }));
    expect(localStorage.getItem(TOKEN_STORAGE_KEY)).toBeNull();
    expect(store.getToken()).toBeNull();
    expect(screen.queryByRole('button', { name: 'Sign out' })).toBeNull();
  });
});

describe('in the app', () => {
  const index = buildCategoryIndex([] as TreeNode[]);

  it('a form whose request needs a token gets it through the dialog and completes', async () => {
    const created = {
      id: 9,
      name: 'Glues',
      level: 1,
      parent_id: null,
      path: 'Glues',
      path_ids: [9],
      has_children: false,
      child_count: 0,
      product_count: 0,
      created_at: '2026-01-01T00:00:00.000Z',
      updated_at: '2026-01-01T00:00:00.000Z',
    };
    const { fetchMock, calls } = tokenServer([TOKEN], {
      body: { success: true, data: created, timestamp: 't', request_id: 'r' },
    });
    vi.stubGlobal('fetch', fetchMock);
    const onCreated = vi.fn();
    renderWithProviders(
      <>
        <CreateCategoryDialog
          index={index}
          defaultParentId={null}
          onClose={() => {}}
          onCreated={onCreated}
        />
        <ApiTokenGate />
      </>,
    );
    fireEvent.change(screen.getByLabelText('Name'), { target: { value: 'Glues' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create category' }));
    await enterToken(TOKEN);
    await waitFor(() => expect(onCreated).toHaveBeenCalledWith(created));
    expect(calls).toHaveLength(2);
    expect(localStorage.getItem(TOKEN_STORAGE_KEY)).toBe(TOKEN);
  });

  it("a 403 explains that the token's role is too low", async () => {
    const { fetchMock } = {
      fetchMock: async () =>
        new Response(
          JSON.stringify(
            errorBody(
              'FORBIDDEN',
              "This token's role (viewer) cannot do this: POST here needs the editor role",
              { token_role: 'viewer', required_role: 'editor' },
            ),
          ),
          { status: 403, headers: { 'content-type': 'application/json' } },
        ),
    };
    vi.stubGlobal('fetch', fetchMock);
    authStore.submit(TOKEN);
    renderWithProviders(
      <CreateCategoryDialog
        index={index}
        defaultParentId={null}
        onClose={() => {}}
        onCreated={() => {}}
      />,
    );
    fireEvent.change(screen.getByLabelText('Name'), { target: { value: 'Glues' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create category' }));
    const toast = await screen.findByRole('alert');
    expect(toast).toHaveTextContent("Your token's role (viewer) can't do this");
    expect(toast).toHaveTextContent('it needs the editor role');
    expect(toast).toHaveTextContent('req-401');
  });

  it('describeError words 401 and 403 for people', () => {
    const forbidden = new ApiError({
      message: 'nope',
      status: 403,
      code: 'FORBIDDEN',
      details: { token_role: 'editor', required_role: 'admin' },
    });
    expect(describeError(forbidden).toast?.message).toMatch(
      /^Your token's role \(editor\) can't do this: it needs the admin role\./,
    );
    const unauthorized = new ApiError({
      message: 'This API token is not valid',
      status: 401,
      code: 'UNAUTHORIZED',
    });
    expect(describeError(unauthorized).toast?.message).toContain('Retry to enter an API token');
  });

  it('the export link fetches the file with the token while one is stored', async () => {
    const { fetchMock, calls } = tokenServer([TOKEN]);
    vi.stubGlobal('fetch', fetchMock);
    const createObjectURL = vi.spyOn(URL, 'createObjectURL').mockReturnValue('blob:export');
    const click = vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(() => {});
    authStore.submit(TOKEN);
    renderWithProviders(
      <ExportLink className="button" filters={{ vendor: 'Acme' }}>
        Export
      </ExportLink>,
    );
    const link = screen.getByRole('link', { name: 'Export' });
    expect(link).toHaveAttribute('href', '/api/export/csv?vendor=Acme');
    fireEvent.click(link);
    await waitFor(() => expect(createObjectURL).toHaveBeenCalled());
    expect(calls).toEqual([
      { url: '/api/export/csv?vendor=Acme', authorization: `Bearer ${TOKEN}` },
    ]);
    expect(click).toHaveBeenCalledTimes(1);
    createObjectURL.mockRestore();
    click.mockRestore();
  });
});
