/** The `?` dialog: every keyboard shortcut. */
import { Dialog } from './Dialog';
import { SHORTCUTS } from '../lib/shortcuts';

export function HelpDialog({ onClose }: { onClose: () => void }) {
  return (
    <Dialog title="Keyboard shortcuts" onClose={onClose} size="medium" scrollableBody>
      <table className="shortcut-table">
        <caption className="visually-hidden">Keyboard shortcuts</caption>
        <thead>
          <tr>
            <th scope="col">Keys</th>
            <th scope="col">Action</th>
            <th scope="col">Where</th>
          </tr>
        </thead>
        <tbody>
          {SHORTCUTS.map((shortcut) => (
            <tr key={shortcut.action}>
              <td className="nowrap">
                {shortcut.keys.map((key, position) => (
                  <span key={key}>
                    {position > 0 && ' '}
                    <kbd>{key}</kbd>
                  </span>
                ))}
              </td>
              <td>{shortcut.action}</td>
              <td className="muted">{shortcut.where}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </Dialog>
  );
}
