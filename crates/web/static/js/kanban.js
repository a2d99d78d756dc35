// Pipeline kanban: drag-and-drop of cards between stages (progressive enhancement over the move form).
