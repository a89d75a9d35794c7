// Starts GraphiQL with a fetcher that sends the pasted bearer token with every
// operation. The token stays in this browser's localStorage only.
(function () {
  var KEY = 'fellowship.bearerToken';
  var input = document.getElementById('token');
  var state = document.getElementById('token-state');

  function token() { return window.localStorage.getItem(KEY) || ''; }
  function show() { state.textContent = token() ? 'token in use' : 'anonymous'; }

  input.value = token();
  show();
  document.getElementById('token-bar').addEventListener('submit', function (event) {
    event.preventDefault();
    var value = input.value.trim().replace(/^Bearer\s+/i, '');
    if (value) { window.localStorage.setItem(KEY, value); } else { window.localStorage.removeItem(KEY); }
    show();
  });
  document.getElementById('token-clear').addEventListener('click', function () {
    window.localStorage.removeItem(KEY);
    input.value = '';
    show();
  });

  var url = window.location.origin + '/graphql';
  var wsUrl = url.replace(/^http/, 'ws');
  // GraphiQL opens a graphql-transport-ws socket for each subscription, with the
  // operation's headers (below) as the connection_init payload: the pasted token
  // travels there as {"Authorization": "Bearer ..."}.
  var base = GraphiQL.createFetcher({ url: url, subscriptionUrl: wsUrl });

  function fetcher(params, options) {
    var headers = Object.assign({}, options && options.headers);
    if (token() && !headers.Authorization) { headers.Authorization = 'Bearer ' + token(); }
    return base(params, Object.assign({}, options, { headers: headers }));
  }

  var defaultQuery = [
    '# Welcome to the Fellowship API. Press the run button (or Ctrl-Enter).',
    '{',
    '  fellows(first: 5) {',
    '    totalCount',
    '    edges { cursor node { handle name headline strategicAreas { nodes { name } } } }',
    '    pageInfo { hasNextPage endCursor }',
    '  }',
    '}',
    ''
  ].join('\n');

  // The explorer (the compass in the sidebar) builds a query by ticking fields and
  // arguments from the schema, for those who do not know it yet.
  var explorer = GraphiQLPluginExplorer.explorerPlugin();

  var root = ReactDOM.createRoot(document.getElementById('graphiql'));
  root.render(React.createElement(GraphiQL, {
    fetcher: fetcher,
    defaultQuery: defaultQuery,
    defaultEditorToolsVisibility: true,
    plugins: [explorer]
  }));
})();
