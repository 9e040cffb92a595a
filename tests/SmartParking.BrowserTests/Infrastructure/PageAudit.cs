using Microsoft.Playwright;

namespace SmartParking.BrowserTests.Infrastructure;

/// <summary>What <see cref="PageAudit.RunAsync"/> found on a page; every list empty means the page passed.</summary>
/// <param name="Checked">How many controls were walked to (at most <see cref="PageAudit.MaxControls"/>).</param>
/// <param name="NotReached">Controls Tab never gave the focus to: a keyboard user cannot use them.</param>
/// <param name="WithoutFocusStyle">Controls that had the focus with no outline or box-shadow: a keyboard user cannot see where they are.</param>
/// <param name="Unnamed">Fields with no label, and buttons and links with no text: a screen reader user hears nothing useful.</param>
/// <param name="TabOrder">What had the focus after each Tab press, for a failure message.</param>
public sealed record PageAuditResult(int Checked, IReadOnlyList<string> NotReached, IReadOnlyList<string> WithoutFocusStyle, IReadOnlyList<string> Unnamed,
    IReadOnlyList<string> TabOrder);

/// <summary>
/// The keyboard and labelling checks every page must pass ("every page works with the keyboard alone"): each visible,
/// enabled control is reached by Tab from the top of the page and shows that it has the focus, and each field,
/// button and link has an accessible name. Checked in the page's own DOM, so it sees what a browser user gets.
/// </summary>
public static class PageAudit
{
    /// <summary>
    /// Long tables repeat the same row controls; the first ones in document order (the site and section navigation,
    /// the page's forms and the first rows) say whether the page works, and keep a page's Tab walk short.
    /// </summary>
    public const int MaxControls = 80;

    /// <summary>Tab presses beyond the number of controls, for the page itself between the last control and the first.</summary>
    private const int TabMargin = 15;

    /// <summary>The walk is only trusted if the page's controls are the same after it as before; a page still rendering is walked again.</summary>
    private const int Attempts = 3;

    /// <summary>
    /// Tags the controls a keyboard user must reach with data-audit (only when tagging), and returns how many there
    /// are, how many were tagged, how many more Tab stops there may be, and whether the tagged ones are all still
    /// controls in the page.
    /// The Leaflet map's container (tabindex 0, its arrow keys pan), zoom buttons and attribution links are audited
    /// like the site's own controls. Its circle markers are SVG paths that Chromium also puts in the Tab order (their
    /// tooltips listen for focus, and show the lot's free spaces when focused); they match no selector here, so they
    /// are only allowed for in the number of Tab presses.
    /// Only one radio of a group is in the Tab order (arrows move within it), so a group counts once.
    /// </summary>
    private const string Collect = """
        ([max, tag]) => {
            const visible = e => e.checkVisibility({ visibilityProperty: true }) && e.getClientRects().length > 0;
            const radioGroups = new Set();
            const firstOfGroup = e => {
                if (!(e instanceof HTMLInputElement) || e.type !== 'radio' || !e.name) return true;
                const key = (e.form?.id ?? '') + '|' + e.name;
                const group = [...document.querySelectorAll(`input[type=radio][name="${CSS.escape(e.name)}"]`)];
                const stop = group.find(r => r.checked) ?? group[0];
                if (e !== stop || radioGroups.has(key)) return false;
                radioGroups.add(key);
                return true;
            };
            const all = [...document.querySelectorAll('a[href], button, input, select, textarea, summary, [tabindex]')]
                .filter(e => e.tabIndex >= 0 && !e.matches(':disabled') && !e.closest('[inert]')
                    && !(e instanceof HTMLInputElement && e.type === 'hidden') && visible(e) && firstOfGroup(e));
            const tagged = [...document.querySelectorAll('[data-audit]')];
            if (tag) {
                tagged.forEach(e => e.removeAttribute('data-audit'));
                all.slice(0, max).forEach((e, i) => e.setAttribute('data-audit', String(i)));
            }
            // Tab stops the walk allows for beyond the controls: Leaflet's markers, and the parts of a date or time field
            // (Tab moves through day, month, year… one by one).
            const extra = document.querySelectorAll('.leaflet-container .leaflet-interactive').length
                + 5 * all.filter(e => e instanceof HTMLInputElement && ['date', 'datetime-local', 'time', 'month', 'week'].includes(e.type)).length;
            return { total: all.length, tagged: Math.min(all.length, max), extra, connected: tag || (tagged.length === Math.min(all.length, max) && tagged.every(e => all.includes(e))) };
        }
        """;

    /// <summary>How an element is named in a failure message: tag, id, and its text or label.</summary>
    private const string DescribeFunction = """
        const describe = e => {
            const text = (e.getAttribute('aria-label') || e.innerText || e.value || e.getAttribute('title') || '').replace(/\s+/g, ' ').trim();
            return `<${e.tagName.toLowerCase()}${e.id ? ' id=' + e.id : ''}${e.getAttribute('href') ? ' href=' + e.getAttribute('href') : ''}> "${text.slice(0, 60)}"`;
        };
        """;

    /// <summary>
    /// Starts the Tab order at the top of the document: a focused, untabbable marker placed first in the body (Blazor
    /// focuses the h1 after navigating, and Tab would otherwise start there, past the site header).
    /// </summary>
    private const string FocusTop = """
        () => {
            document.querySelector('[data-audit-start]')?.remove();
            const start = document.createElement('span');
            start.tabIndex = -1;
            start.setAttribute('data-audit-start', '');
            document.body.prepend(start);
            start.focus();
        }
        """;

    /// <summary>What has the focus: its data-audit tag (none if it is not audited), whether its computed style shows it, and its description.</summary>
    private const string Focused = "() => {" + DescribeFunction + """
            const e = document.activeElement;
            if (!e || e === document.body) return { id: null, shown: false, text: '(the page itself)' };
            const s = getComputedStyle(e);
            const shown = (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0) || (s.boxShadow !== '' && s.boxShadow !== 'none');
            return { id: e.getAttribute('data-audit'), shown, text: describe(e) };
        }
        """;

    private const string NotReachedList = "(reached) => {" + DescribeFunction + """
            return [...document.querySelectorAll('[data-audit]')].filter(e => !reached.includes(e.getAttribute('data-audit'))).map(describe);
        }
        """;

    /// <summary>
    /// Fields named by aria-labelledby, aria-label or a label element; buttons and links by those or their own text
    /// (visually hidden text counts: screen readers read it), an image's alt, a title, or an input button's value.
    /// </summary>
    private const string UnnamedList = "() => {" + DescribeFunction + """
            const visible = e => e.checkVisibility({ visibilityProperty: true }) && e.getClientRects().length > 0;
            const text = e => (e?.textContent ?? '').replace(/\s+/g, ' ').trim();
            const labelledBy = e => (e.getAttribute('aria-labelledby') ?? '').split(/\s+/).filter(Boolean)
                .map(id => text(document.getElementById(id))).join(' ').trim();
            const ariaLabel = e => (e.getAttribute('aria-label') ?? '').trim();
            const buttonTypes = ['submit', 'button', 'reset', 'image'];
            const problems = [];
            for (const e of document.querySelectorAll('input:not([type=hidden]), select, textarea')) {
                if (!visible(e) || (e instanceof HTMLInputElement && buttonTypes.includes(e.type))) continue;
                const name = labelledBy(e) || ariaLabel(e) || [...(e.labels ?? [])].map(text).join(' ').trim();
                if (!name) problems.push('field without a label: ' + describe(e));
            }
            for (const e of document.querySelectorAll('a[href], button, [role=button], input[type=submit], input[type=button], input[type=reset], input[type=image]')) {
                if (!visible(e)) continue;
                const name = labelledBy(e) || ariaLabel(e) || text(e) || [...e.querySelectorAll('img[alt]')].map(i => i.alt.trim()).join(' ').trim()
                    || (e.getAttribute('title') ?? '').trim() || (e instanceof HTMLInputElement ? (e.type === 'image' ? e.alt : e.value).trim() : '');
                if (!name) problems.push(`${e.tagName === 'A' ? 'link' : 'button'} without text: ` + describe(e));
            }
            return problems;
        }
        """;

    /// <summary>
    /// Resolves once the page has not changed for <c>quietMs</c> (the circuit has rendered its data), or at the
    /// deadline; the walk's own before-and-after comparison catches a page that changes later.
    /// </summary>
    private const string Quiet = """
        ([quietMs, timeoutMs]) => new Promise(resolve => {
            const started = performance.now();
            let last = started;
            const observer = new MutationObserver(() => { last = performance.now(); });
            observer.observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
            const check = () => {
                const now = performance.now();
                if (now - last >= quietMs || now - started >= timeoutMs) {
                    observer.disconnect();
                    resolve(now - last >= quietMs);
                } else setTimeout(check, 50);
            };
            check();
        })
        """;

    // Playwright fills these by property, after a parameterless constructor.
    private sealed class Counts
    {
        public int Total { get; set; }
        public int Tagged { get; set; }
        public int Extra { get; set; }
        public bool Connected { get; set; }
    }

    private sealed class FocusedControl
    {
        public string? Id { get; set; }
        public bool Shown { get; set; }
        public string Text { get; set; } = "";
    }

    /// <summary>Waits for the page to settle, then walks it with Tab and checks every control's name.</summary>
    public static async Task<PageAuditResult> RunAsync(IPage page)
    {
        for (var attempt = 1; ; attempt++)
        {
            await page.EvaluateAsync<bool>(Quiet, new[] { 500, 15_000 });
            var before = await page.EvaluateAsync<Counts>(Collect, new object[] { MaxControls, true });
            var (reached, withoutStyle, order) = await WalkAsync(page, before.Total + before.Extra + TabMargin, before.Tagged);
            var after = await page.EvaluateAsync<Counts>(Collect, new object[] { MaxControls, false });
            if ((after.Total != before.Total || !after.Connected) && attempt < Attempts) continue;
            var notReached = await page.EvaluateAsync<string[]>(NotReachedList, reached.ToArray());
            var unnamed = await page.EvaluateAsync<string[]>(UnnamedList);
            await page.EvaluateAsync("() => document.querySelector('[data-audit-start]')?.remove()");
            return new PageAuditResult(before.Tagged, notReached, withoutStyle, unnamed, order);
        }
    }

    /// <summary>
    /// Presses Tab from the top until every tagged control had the focus, the focus came back to one it had left (Tab
    /// has been round the whole page), or <paramref name="maxTabs"/> presses.
    /// </summary>
    private static async Task<(HashSet<string> Reached, List<string> WithoutStyle, List<string> Order)> WalkAsync(IPage page, int maxTabs, int tagged)
    {
        var reached = new HashSet<string>();
        var withoutStyle = new List<string>();
        var order = new List<string>();
        string? previous = null;
        await page.EvaluateAsync(FocusTop);
        for (var i = 0; i < maxTabs && reached.Count < tagged; i++)
        {
            await page.Keyboard.PressAsync("Tab");
            var focused = await page.EvaluateAsync<FocusedControl>(Focused);
            order.Add(focused.Text);
            // The same control again straight away is Tab moving inside it (a date field's day, month, year).
            if (focused.Id is null || focused.Id == previous) continue;
            previous = focused.Id;
            if (!reached.Add(focused.Id)) break;
            if (!focused.Shown) withoutStyle.Add(focused.Text);
        }
        return (reached, withoutStyle, order);
    }
}
